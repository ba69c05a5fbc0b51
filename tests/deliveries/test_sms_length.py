"""SMS length in segments: GSM-7 160/153, UCS-2 70/67, extension characters count twice and an
escape or surrogate pair is never split across segments."""

from __future__ import annotations

import pytest

from backend.deliveries.sms_length import GSM7, UCS2, sms_length


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments", "per_segment", "remaining"),
    [
        ("", GSM7, 0, 0, 160, 160),
        ("a" * 160, GSM7, 160, 1, 160, 0),
        ("a" * 161, GSM7, 161, 2, 153, 145),
        ("a" * 306, GSM7, 306, 2, 153, 0),
        ("a" * 307, GSM7, 307, 3, 153, 152),
        ("€" * 80, GSM7, 160, 1, 160, 0),  # two septets each
        ("€" * 81, GSM7, 162, 2, 153, 143),  # 76 pairs fill 152 of the first segment; 5 pairs go on
        ("a" * 152 + "€" + "a" * 10, GSM7, 164, 2, 153, 141),  # the pair does not fit in the 1 septet left
        ("é à ü ñ Ø Å @ £ $ ¥ \n", GSM7, 21, 1, 160, 139),
        ("a" * 69 + "’", UCS2, 70, 1, 70, 0),  # a curly apostrophe makes it UCS-2
        ("a" * 70 + "’", UCS2, 71, 2, 67, 63),
        ("नमस्ते", UCS2, 6, 1, 70, 64),
        ("🎁" * 35, UCS2, 70, 1, 70, 0),  # an emoji is two UTF-16 units
        ("a" * 66 + "🎁" + "aaa", UCS2, 71, 2, 67, 62),  # the pair is not split: 66 in the first, the emoji next
    ],
)
def test_segments(text, encoding, units, segments, per_segment, remaining):
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments, length.per_segment, length.remaining) == (
        encoding,
        units,
        segments,
        per_segment,
        remaining,
    )
    assert length.characters == len(text)


def test_the_characters_that_force_ucs2_are_named_once_each():
    assert sms_length("Don’t miss “this” — it’s yours").ucs2_characters == "’“”—"
    assert sms_length("plain {braces} [and] ~tilde~ ^caret^ |pipe| \\").ucs2_characters == ""
