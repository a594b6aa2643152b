"""Languages and local time (F-83): the one place that chooses the language and the time zone
of a request and formats dates, times and numbers for people.

The choice (`choose`, once per request, when the first text or date is formatted — after the
login is known):
- a customs account: the language it chose, else its administration's default; times in the
  zone of its office, else its administration's zone;
- a holder on the wallet: the language they chose, else the browser's; their zone, else UTC;
- chamber staff (the chamber portal): the language they chose, else the browser's;
- nobody logged in: the browser's Accept-Language among the shipped languages, else (on a
  customs host) the administration's default language, else the first shipped language.
`g.locale` / `g.timezone`, when set before, win (code that knows better, e.g. a test).
A time shown on a page names its zone on every site ("14:05 CET", "14:05 UTC"); a short date
has a four-digit year in every language (03/12/2026).

Templates format only through the filters registered here (`|datetime`, `|date`, `|time`,
`|number`); Python code formats through the functions of this module. Stored times are UTC.
Code that writes for someone else (an email) wraps it in `with_locale(their_language)`.
Outside an application (plain domain code, scripts) the formats are English (en_GB) and UTC.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import (
    Babel,
    Domain,
    force_locale,
    format_date,
    format_datetime,
    format_decimal,
    format_time,
    get_locale,
    get_timezone,
)
from flask_login import current_user


class _RequestCatalogue(Domain):
    """flask_babel's domain, whose catalogue is looked up once per request: flask_babel looks
    it up again for every text (the language, its identifier, the catalogues' cache — a page
    has a few hundred texts). Kept where flask_babel keeps the request's language, which
    `force_locale` (with_locale) and `refresh` reset and restore with it."""

    def get_translations(self):
        ctx = g.get("_flask_babel") if has_app_context() else None
        found = getattr(ctx, "babel_translations", None)
        if found is None:
            found = super().get_translations()
            ctx = g.get("_flask_babel") if has_app_context() else None
            if ctx is not None:
                ctx.babel_translations = found
        return found


babel = Babel()
babel.domain_instance = _RequestCatalogue()  # the domain every _() and template text uses

# the name of each language in itself, for the language switch (not translated)
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}
# the locale whose formats a language's dates use: English as written in Europe (03/12/2026 14:05)
FORMAT_LOCALES = {"en": "en_GB"}
# a language whose own short date has a two-digit year (Spanish: 3/12/26) writes it this way
SHORT_DATES = {"es": "dd/MM/y"}
_PLAIN = FORMAT_LOCALES["en"]  # outside an application


def _shipped(lang: str | None) -> str | None:
    return lang if lang in current_app.config["LANGUAGES"] else None


def _browser_language() -> str | None:
    if not has_request_context():
        return None
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def _user():
    """The logged-in account or holder of the request, or None (never loads one off-request)."""
    if not has_request_context():
        return None
    user = current_user
    return user if user and user.is_authenticated else None


def choose() -> tuple[str, str]:
    """(language, time zone) of the request; chosen once."""
    chosen = g.get("_i18n_choice")
    if chosen is not None:
        return chosen
    tenant = g.get("tenant")
    site = g.get("site")
    user = _user()
    lang: str | None = None
    zone: str | None = None
    if getattr(user, "is_holder", False):
        holder = user.holder
        lang, zone = _shipped(holder.language), holder.timezone
    elif user is not None and hasattr(user, "role") and tenant is not None:
        office = user.office
        lang = _shipped(user.language) or _shipped(tenant.language)
        zone = (office.timezone if office is not None else None) or tenant.timezone
    elif getattr(user, "actor_type", None) == "chamber_staff":  # the chamber portal's staff
        lang = _shipped(user.language)
    lang = lang or _browser_language()
    if lang is None and tenant is not None and getattr(site, "kind", None) == "customs":
        lang = _shipped(tenant.language)
    if zone is None and tenant is not None and getattr(site, "kind", None) == "customs":
        zone = tenant.timezone
    choice = (
        _shipped(g.get("locale")) or lang or current_app.config["LANGUAGES"][0],
        g.get("timezone") or zone or "UTC",
    )
    g._i18n_choice = choice
    return choice


def select_locale() -> str:
    lang = choose()[0]
    return FORMAT_LOCALES.get(lang, lang)


def select_timezone() -> str:
    return choose()[1]


def current_language() -> str:
    """The language texts are rendered in now ("en", "fr", "es"): the request's, or the one
    forced by with_locale — `<html lang>` of a page or a PDF, the switch."""
    if not has_app_context():
        return "en"
    locale = get_locale()
    return locale.language if locale is not None else current_app.config["LANGUAGES"][0]


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


@contextmanager
def with_locale(lang: str | None) -> Iterator[None]:
    """Texts and formats in `lang` inside the block (an email to someone who chose it); an
    unknown or missing language is the first shipped one. Outside an application: English."""
    if not has_app_context():
        yield
        return
    lang = _shipped(lang) or current_app.config["LANGUAGES"][0]
    with force_locale(FORMAT_LOCALES.get(lang, lang)):
        yield


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def zone_name(value: dt.datetime) -> str:
    """The abbreviation of the request's zone at that moment: "CET", "CEST", "JST", "UTC"."""
    zone = zoneinfo.ZoneInfo(str(get_timezone()))
    return _aware(value).astimezone(zone).tzname() or str(zone)


def _named(value: dt.datetime, text: str) -> str:
    """A time shown to someone names its zone (F-83): on every site, not in a job's file."""
    return f"{text} {zone_name(value)}" if has_request_context() else text


def _short(fmt: str, kind: str, locale) -> str:
    """The pattern of `fmt` for a date or a datetime ("date" | "datetime") in `locale`: the
    language's own, but a short date always with a four-digit year (SHORT_DATES)."""
    if fmt != "short" or locale is None:
        return fmt
    loc = Locale.parse(locale)
    date_pattern = SHORT_DATES.get(loc.language)
    if date_pattern is None:
        return fmt
    if kind == "date":
        return date_pattern
    time_pattern = loc.time_formats["short"].pattern
    return str(loc.datetime_formats["short"]).format(time_pattern, date_pattern)


def fmt_datetime(value: dt.datetime | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    if not has_app_context():
        return babel_dates.format_datetime(_aware(value), fmt, tzinfo=dt.UTC, locale=_PLAIN)
    return _named(value, format_datetime(_aware(value), _short(fmt, "datetime", get_locale())))


def fmt_date(value: dt.date | dt.datetime | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    day = _aware(value) if isinstance(value, dt.datetime) else value
    if not has_app_context():
        return babel_dates.format_date(day, fmt, locale=_PLAIN)
    return format_date(day, _short(fmt, "date", get_locale()))


def fmt_time(value: dt.datetime | dt.time | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    moment = _aware(value) if isinstance(value, dt.datetime) else value
    if not has_app_context():
        return babel_dates.format_time(moment, fmt, tzinfo=dt.UTC, locale=_PLAIN)
    if isinstance(moment, dt.datetime):
        return _named(moment, format_time(moment, fmt))
    return format_time(moment, fmt)


def fmt_local(value: dt.datetime | None, fmt: str = "short") -> str:
    """A wall-clock time that is already local (a pre-declaration's expected arrival, given in
    the office's time): formatted by the language, never moved to another zone."""
    if value is None:
        return ""
    locale = get_locale() if has_app_context() else _PLAIN
    return babel_dates.format_datetime(
        value.replace(tzinfo=None), _short(fmt, "datetime", locale), locale=locale
    )


def fmt_number(value, decimals: int | None = None) -> str:
    """`{{ n|number }}`; `{{ amount|number(2) }}` with exactly two decimals (1 234,50 in fr)."""
    if value is None:
        return ""
    fmt = None if decimals is None else "#,##0" + ("." + "0" * decimals if decimals else "")
    if not has_app_context():
        return babel_numbers.format_decimal(value, format=fmt, locale=_PLAIN)
    return format_decimal(value, format=fmt)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    catalogue = babel.domain_instance.get_translations
    app.jinja_env.install_gettext_callables(  # as flask_babel's, on the request's catalogue
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.add_template_filter(fmt_datetime, "datetime")
    app.add_template_filter(fmt_date, "date")
    app.add_template_filter(fmt_time, "time")
    app.add_template_filter(fmt_number, "number")
    app.add_template_filter(fmt_local, "format_local")
    app.add_template_global(current_language)
    app.add_template_global(LANGUAGE_NAMES, "LANGUAGE_NAMES")
