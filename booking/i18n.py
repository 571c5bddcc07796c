"""Language and region: which locale formats a request, and the examples
("z. B. 06.03.2027, 18:00") that hints show in that locale's formats.

The language a visitor chose (saved on the account, the switcher, or
Accept-Language) is "de" or "en"; English is formatted for the visitor's
region: en_GB (24-hour clock, day/month) for the United Kingdom, Ireland and
the rest of Europe, en_US otherwise. German is always formatted as de_DE.
"""

from __future__ import annotations

from datetime import date, time

from babel.dates import format_date, format_time
from flask import has_request_context, request
from flask_babel import get_locale

# A fixed example instant, the same in every hint: Saturday 6 March 2027, 18:00.
EXAMPLE_DATE = date(2027, 3, 6)
EXAMPLE_TIME = time(18, 0)

# Regions whose English readers expect day/month and the 24-hour clock.
EUROPEAN_REGIONS = frozenset(
    [
        "GB",
        "IE",
        "MT",
        "GI",
        "IM",
        "JE",
        "GG",
        "DE",
        "AT",
        "CH",
        "LI",
        "LU",
        "BE",
        "NL",
        "FR",
        "IT",
        "ES",
        "PT",
        "DK",
        "SE",
        "NO",
        "FI",
        "IS",
        "PL",
        "CZ",
        "SK",
        "HU",
        "SI",
        "HR",
        "RO",
        "BG",
        "GR",
        "CY",
        "EE",
        "LV",
        "LT",
    ]
)


def _region(tag: str) -> str | None:
    """``"en-gb"`` → ``"GB"``; None for a tag without a (two-letter) region."""
    parts = tag.replace("_", "-").split("-")
    if len(parts) >= 2 and len(parts[1]) == 2 and parts[1].isalpha():
        return parts[1].upper()
    return None


def english_locale() -> str:
    """``en_GB`` or ``en_US`` for this request, from Accept-Language: the region
    of the first English tag that has one, else of the first tag of any
    language (an English reader whose browser says ``de-DE`` is in Europe);
    no region at all (plain ``en``, no header) is ``en_US``."""
    if not has_request_context():
        return "en_US"
    tags = [value for value, _quality in request.accept_languages]
    english = [tag for tag in tags if tag.lower().split("-")[0] in ("en",)]
    for candidates in (english, tags):
        for tag in candidates:
            region = _region(tag)
            if region is not None:
                return "en_GB" if region in EUROPEAN_REGIONS else "en_US"
    return "en_US"


def browser_language(languages) -> str | None:
    """The first of ``languages`` ("de", "en") that Accept-Language names,
    by quality, matching on the language alone: ``de-DE,en;q=0.5`` is German
    (werkzeug's ``best_match`` prefers the exact "en" there)."""
    for tag, _quality in request.accept_languages:
        primary = tag.lower().replace("_", "-").split("-")[0]
        if primary in languages:
            return primary
    return None


def formatting_locale(language: str) -> str:
    """The locale that formats a request in ``language`` ("de"/"en")."""
    return english_locale() if language == "en" else language


def current_language() -> str:
    """ "de" or "en": the request's language without its region (what is
    saved on an account and compared in templates)."""
    locale = get_locale()
    return locale.language if locale is not None else "de"


def html_lang() -> str:
    """The request's locale as a BCP 47 tag for ``<html lang>`` (``en-GB``)."""
    return str(get_locale() or "de").replace("_", "-")


def _locale():
    return get_locale() or "de"


def date_example() -> str:
    """The example date in the request's short format: ``06.03.2027``
    (de), ``06/03/2027`` (en-GB), ``3/6/27`` (en-US)."""
    locale = _locale()
    # German "short" is 06.03.27; the four-digit year is what people type.
    fmt = "medium" if locale.language == "de" else "short"
    return format_date(EXAMPLE_DATE, fmt, locale=locale)


def time_example(hour: int = EXAMPLE_TIME.hour, minute: int = 0) -> str:
    """An example time (default 18:00): ``18:00`` (de, en-GB), ``6:00 PM``
    (en-US); ``time_example(8)`` for another clock time."""
    return format_time(time(hour, minute), "short", locale=_locale())


def datetime_example() -> str:
    """Date and time together: ``06.03.2027, 18:00`` / ``3/6/27, 6:00 PM``."""
    pattern = _locale().datetime_formats["short"]  # "{1}, {0}": date, then time
    return str(pattern).format(time_example(), date_example())


def holiday_language() -> str:
    """The language of holiday names from the ``holidays`` package: the
    request's (a mail is rendered in a request context forced to its
    recipient's locale), German outside a request (jobs, CLI)."""
    if has_request_context():
        locale = get_locale()
        if locale is not None and locale.language == "en":
            return "en_US"  # the only English the package has for Germany
    return "de"
