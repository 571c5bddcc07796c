"""The English catalogue is complete, current and keeps the placeholders.

German is the source language: the msgids are the German texts in the code and
templates, ``translations/en/LC_MESSAGES/messages.po`` holds the English. When a
test here fails after you added or changed a text, run::

    make extract-messages

translate the new entries in ``translations/en/LC_MESSAGES/messages.po``
(remove ``#, fuzzy`` once checked) and ``make translations`` to compile.

No app and no database: the tests read the .po and the source files only.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.util import pathmatch

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
BABEL_CFG = ROOT / "babel.cfg"
# The Makefile's `pybabel extract` adds these to Babel's default keywords
# (_, gettext, ngettext, pgettext, npgettext, ...); N_ marks a text that is
# translated later (booking.web: Flask-Login's login_message).
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
    "N_": None,
}
# %(name)s, %(n)d, %(x).2f ...: the named placeholders Python's % operator fills.
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
HOW_TO_FIX = (
    "Run `make extract-messages`, translate the entries in "
    "translations/en/LC_MESSAGES/messages.po (and drop `#, fuzzy`), then `make translations`."
)


@cache
def catalogue() -> Catalog:
    with PO.open("rb") as fh:
        return read_po(fh, locale="en")


def translated_messages() -> list[Message]:
    return [m for m in catalogue() if m.id]


def label(message: Message) -> str:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
    return f"{msgid!r} ({where})" if where else repr(msgid)


def forms(value: str | tuple | list | None) -> tuple[str, ...]:
    if value is None:
        return ("",)
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def extract(method_map: list[tuple[str, str]], options_map: dict) -> dict[tuple, list[str]]:
    """(msgid, context) -> where it occurs, as `make extract-messages` finds them."""
    found: dict[tuple, list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        if msgid:
            found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    return found


@cache
def babel_mapping() -> tuple[list[tuple[str, str]], dict]:
    with BABEL_CFG.open(encoding="utf-8") as fh:
        return parse_mapping_cfg(fh, filename=str(BABEL_CFG))


@cache
def extracted_messages() -> dict[tuple, list[str]]:
    return extract(*babel_mapping())


def test_every_message_has_an_english_translation():
    untranslated = [
        label(m)
        for m in translated_messages()
        if m.fuzzy or not all(s.strip() for s in forms(m.string))
    ]
    assert translated_messages(), f"{PO} holds no messages"
    assert not untranslated, (
        f"{len(untranslated)} message(s) in {PO.relative_to(ROOT)} are untranslated or "
        "marked fuzzy:\n  " + "\n  ".join(untranslated) + "\n" + HOW_TO_FIX
    )


def test_the_catalogue_has_every_message_in_the_code():
    messages = extracted_messages()
    assert len(messages) > 100, "extraction found almost nothing: is babel.cfg right?"
    missing = sorted(
        f"{msgid!r} ({', '.join(where[:2])})"
        for (msgid, context), where in messages.items()
        if catalogue().get(msgid, context=context) is None
    )
    assert not missing, (
        f"{len(missing)} text(s) in the code are missing from the English catalogue:\n  "
        + "\n  ".join(missing)
        + "\n"
        + HOW_TO_FIX
    )


def test_translations_keep_the_placeholders():
    wrong = []
    for m in translated_messages():
        ids = forms(m.id)
        for index, text in enumerate(forms(m.string)):
            if not text:
                continue  # reported by the completeness test
            source = ids[min(index, len(ids) - 1)]
            expected = Counter(PLACEHOLDER.findall(source))
            got = Counter(PLACEHOLDER.findall(text))
            if expected != got:
                wrong.append(
                    f"{label(m)}: expected {sorted(expected.elements())}, "
                    f"translation has {sorted(got.elements())}"
                )
    assert not wrong, "Placeholders differ between German and English:\n  " + "\n  ".join(wrong)


def test_babel_cfg_covers_every_template():
    """A template type missing from babel.cfg (once: the .txt mails) is never
    extracted, so its texts stay German for everyone."""
    method_map, _options = babel_mapping()
    uncovered = [
        path
        for path in sorted((ROOT / "templates").rglob("*"))
        if path.is_file()
        and not any(
            pathmatch(pattern, path.relative_to(ROOT).as_posix()) for pattern, _m in method_map
        )
    ]
    assert not uncovered, "babel.cfg does not cover these templates:\n  " + "\n  ".join(
        str(p.relative_to(ROOT)) for p in uncovered
    )
