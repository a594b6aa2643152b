"""Languages and local time (F-83): the one place that chooses the language and the time zone
of a request and formats dates, times and numbers for people.

Templates format only through the filters registered here (`|datetime`, `|date`, `|time`,
`|number`); Python code formats through the functions of this module. Stored times are UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask, current_app, g, has_app_context, request
from flask_babel import (
    Babel,
    force_locale,
    format_date,
    format_datetime,
    format_decimal,
    format_time,
    get_locale,
)

babel = Babel()


def select_locale() -> str:
    """The request's language: the one chosen for it (g.locale, set by whoever knows the
    account), else the browser's Accept-Language among the shipped languages, else the first."""
    languages = current_app.config["LANGUAGES"]
    chosen = g.get("locale")
    if chosen in languages:
        return chosen
    if request:
        best = request.accept_languages.best_match(languages)
        if best:
            return best
    return languages[0]


def current_language() -> str:
    """The language texts are rendered in now (the request's, or the one forced by
    with_locale), e.g. for <html lang> of a PDF."""
    locale = get_locale()
    return locale.language if locale is not None else current_app.config["LANGUAGES"][0]


def select_timezone() -> str:
    """The zone times are shown in: the one chosen for the request (g.timezone), else UTC."""
    return g.get("timezone") or "UTC"


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# outside an application (plain domain code, scripts) the formats are English and UTC
def fmt_datetime(value: dt.datetime | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    if not has_app_context():
        return babel_dates.format_datetime(_aware(value), fmt, tzinfo=dt.UTC, locale="en")
    return format_datetime(_aware(value), fmt)


def fmt_date(value: dt.date | dt.datetime | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    day = _aware(value) if isinstance(value, dt.datetime) else value
    if not has_app_context():
        return babel_dates.format_date(day, fmt, locale="en")
    return format_date(day, fmt)


def fmt_time(value: dt.datetime | dt.time | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    moment = _aware(value) if isinstance(value, dt.datetime) else value
    if not has_app_context():
        return babel_dates.format_time(moment, fmt, tzinfo=dt.UTC, locale="en")
    return format_time(moment, fmt)


def fmt_number(value) -> str:
    if value is None:
        return ""
    return (
        format_decimal(value)
        if has_app_context()
        else babel_numbers.format_decimal(value, locale="en")
    )


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.add_template_filter(fmt_datetime, "datetime")
    app.add_template_filter(fmt_date, "date")
    app.add_template_filter(fmt_time, "time")
    app.add_template_filter(fmt_number, "number")
    app.context_processor(lambda: {"lang_code": current_language()})


@contextmanager
def with_locale(lang: str | None) -> Iterator[None]:
    """Render for someone else than the request's user (an email, a PDF for a holder): the
    texts and formats inside the block are in `lang` (a shipped language, else the first)."""
    if not has_app_context():  # plain domain code (unit tests, scripts): English as written
        yield
        return
    languages = current_app.config["LANGUAGES"]
    with force_locale(lang if lang in languages else languages[0]):
        yield


def shipped_languages() -> list[str]:
    """The languages of the catalogues (English alone outside an application)."""
    return list(current_app.config["LANGUAGES"]) if has_app_context() else ["en"]


def language_of(recipient: object | None, tenant: object | None = None) -> str:
    """The language a person's emails and documents are written in: their stored choice when
    the model has one, else their administration's default, else English."""
    for source in (recipient, tenant):
        lang = getattr(source, "language", None) or getattr(source, "default_language", None)
        if lang:
            return str(lang)
    return "en"
