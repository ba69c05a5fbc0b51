"""The one rule for text a service stores or looks up: no character its field cannot hold, and no
longer than its column.

PostgreSQL refuses a NUL in text (and a lone surrogate cannot be encoded at all), so without this
rule such a value ends as a masked server error there while SQLite stores it; a control character
in a name or an id is a mistake or an attack either way. Lengths are the columns' own (``length=``
in the tables): PostgreSQL refuses a longer value, SQLite stores it whole. Checking both here gives
one answer on both databases, before anything is written or queried.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from backend.core.errors import DomainError, FieldError

INVALID_CHARACTERS = "INVALID_CHARACTERS"
TOO_LONG = "TOO_LONG"

# Every C0 control character, and lone surrogates (they cannot be encoded as UTF-8).
_SINGLE_LINE = re.compile("[\x00-\x1f\ud800-\udfff]")
# A multi-line text (a note, a description, terms) may hold tab, line feed and carriage return.
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def text_error(field: str, value: object, max_length: int | None = None, *, multiline: bool = False) -> FieldError | None:
    """The problem with ``value`` as ``field``'s text, or None (also for None and non-text values,
    which other rules judge)."""
    if not isinstance(value, str):
        return None
    bad = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    if bad:
        return FieldError(
            field,
            INVALID_CHARACTERS,
            f"{_label(field)} contains the control character U+{ord(bad.group()):04X}, which it cannot hold",
        )
    if max_length is not None and len(value) > max_length:
        return FieldError(field, TOO_LONG, f"{_label(field)} is at most {max_length:,} characters (got {len(value):,})")
    return None


def check_text(field: str, value: object, max_length: int | None = None, *, multiline: bool = False) -> None:
    """Raise the field's error if ``value`` breaks the rule."""
    error = text_error(field, value, max_length, multiline=multiline)
    if error:
        raise DomainError(error)


def check_texts(field: str, values: Iterable[object] | None, max_length: int | None = None) -> None:
    """The rule for each text of a list field (countries, categories, topics)."""
    for value in values or ():
        check_text(field, value, max_length)


def json_text_error(field: str, value: object) -> FieldError | None:
    """The first key or text anywhere in a JSON value that breaks the rule (no length: the field's
    own rules bound its size)."""
    if isinstance(value, dict):
        for key, item in value.items():
            error = text_error(field, key) or json_text_error(field, item)
            if error:
                return error
    elif isinstance(value, list):
        for item in value:
            error = json_text_error(field, item)
            if error:
                return error
    else:
        return text_error(field, value, multiline=True)
    return None


SHOWN = 100  # the longest value a message repeats whole: the longest id or name a column holds


def shown(value: str) -> str:
    """``value`` for repeating in a message: whole up to ``SHOWN`` characters, else its start and its
    length, so a refusal of a huge input is not itself huge (in the answer and in the log)."""
    if len(value) <= SHOWN:
        return value
    return f"{value[:SHOWN]}… ({len(value):,} characters)"


def _label(field: str) -> str:
    return field.replace("_", " ")
