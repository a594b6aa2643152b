"""Languages and local time (F-83): the one place that chooses the language and the time zone
of a request and formats dates, times and numbers for people.

Templates format only through the filters registered here (`|datetime`, `|date`, `|time`,
`|number`); Python code formats through the functions of this module. Stored times are UTC.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, g, request
from flask_babel import Babel, format_date, format_datetime, format_decimal, format_time

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


def select_timezone() -> str:
    """The zone times are shown in: the one chosen for the request (g.timezone), else UTC."""
    return g.get("timezone") or "UTC"


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def fmt_datetime(value: dt.datetime | None, fmt: str = "short") -> str:
    return "" if value is None else format_datetime(_aware(value), fmt)


def fmt_date(value: dt.date | dt.datetime | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    return format_date(_aware(value) if isinstance(value, dt.datetime) else value, fmt)


def fmt_time(value: dt.datetime | dt.time | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    return format_time(_aware(value) if isinstance(value, dt.datetime) else value, fmt)


def fmt_number(value) -> str:
    return "" if value is None else format_decimal(value)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.add_template_filter(fmt_datetime, "datetime")
    app.add_template_filter(fmt_date, "date")
    app.add_template_filter(fmt_time, "time")
    app.add_template_filter(fmt_number, "number")
