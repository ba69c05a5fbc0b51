"""How long an SMS is in the units a carrier bills: segments.

A message written only in the GSM 03.38 alphabet travels as GSM-7: 160 septets in one segment, or
153 per segment once it is split (7 go to the concatenation header); the extension characters
(``€ [ ] { } \\ ^ ~ |`` and form feed) take two septets each, and an escape pair is never split
across segments. One character outside that alphabet (a curly quote, an emoji, Devanagari) turns
the whole message into UCS-2: 70 UTF-16 units in one segment, 67 per segment split, a character
beyond the Basic Multilingual Plane (most emoji) taking two units that are never split either."""

from __future__ import annotations

from dataclasses import dataclass

GSM7, UCS2 = "GSM-7", "UCS-2"

# GSM 03.38's default alphabet (0x1B, the escape, is not a character) and its extension table.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}  # (one segment, each segment of a split message)


@dataclass(frozen=True)
class SmsLength:
    characters: int  # as a person counts them
    encoding: str  # GSM-7 or UCS-2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # 0 for an empty message
    per_segment: int  # 160 or 153 (GSM-7), 70 or 67 (UCS-2)
    remaining: int  # units left in the last segment before another one starts
    ucs2_characters: str  # the distinct characters that made it UCS-2, in order of appearance


def sms_length(text: str) -> SmsLength:
    outside = "".join(dict.fromkeys(c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENDED))
    if outside:
        encoding, costs = UCS2, [2 if ord(c) > 0xFFFF else 1 for c in text]
    else:
        encoding, costs = GSM7, [2 if c in GSM7_EXTENDED else 1 for c in text]
    single, split = LIMITS[encoding]
    units = sum(costs)
    if units <= single:
        segments, per_segment, last = (1 if units else 0), single, units
    else:
        segments, per_segment, last = 1, split, 0
        for cost in costs:  # greedy, never splitting an escape pair or a surrogate pair
            if last + cost > split:
                segments, last = segments + 1, 0
            last += cost
    return SmsLength(
        characters=len(text),
        encoding=encoding,
        units=units,
        segments=segments,
        per_segment=per_segment,
        remaining=per_segment - last,
        ucs2_characters=outside,
    )
