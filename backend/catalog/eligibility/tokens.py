"""The tokenizer: rule text → tokens, each with its 0-based position."""

from __future__ import annotations

from dataclasses import dataclass

from backend.catalog.eligibility.errors import RuleError
from backend.catalog.eligibility.syntax import KEYWORDS

WORD, KEYWORD, STRING, NUMBER, OPERATOR, PUNCTUATION, END = (
    "word",
    "keyword",
    "string",
    "number",
    "operator",
    "punctuation",
    "end",
)
MAX_DIGITS = 15  # exact in every database and in JSON readers that use doubles
_ESCAPES = {"\\": "\\", '"': '"', "'": "'"}
_WHITESPACE = " \t\r\n"


@dataclass(frozen=True)
class Token:
    kind: str
    text: str  # as written (for messages)
    value: object  # the word, the unescaped text, the int
    position: int


def _is_word_start(char: str) -> bool:
    return char.isascii() and (char.isalpha() or char == "_")


def _is_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def _string(text: str, start: int) -> tuple[Token, int]:
    quote, index, chars = text[start], start + 1, []
    while index < len(text):
        char = text[index]
        if char == quote:
            return Token(STRING, text[start : index + 1], "".join(chars), start), index + 1
        if char == "\\":
            escaped = text[index + 1 : index + 2]
            if escaped not in _ESCAPES:
                raise RuleError(f"unknown escape '\\{escaped}' in text (use \\\\ or \\{quote})", index)
            chars.append(_ESCAPES[escaped])
            index += 2
            continue
        chars.append(char)
        index += 1
    raise RuleError(f"text starting with {quote} is never closed", start)


def _number(text: str, start: int) -> tuple[Token, int]:
    index = start + 1 if text[start] == "-" else start
    while index < len(text) and text[index].isascii() and text[index].isdigit():
        index += 1
    digits = text[start:index].lstrip("-")
    if not digits:
        raise RuleError("unexpected '-' (quote text that contains it)", start)
    if index < len(text) and (text[index] == "." or _is_word_char(text[index])):
        end = index
        while end < len(text) and (text[end] == "." or _is_word_char(text[end])):
            end += 1
        written = text[start:end]
        reason = (
            f"'{written}' is not a whole number"
            if "." in written
            else f"'{written}' is not a number; quote text like \"{written}\""
        )
        raise RuleError(reason, start)
    if len(digits) > MAX_DIGITS:
        raise RuleError(f"a number has at most {MAX_DIGITS} digits", start)
    return Token(NUMBER, text[start:index], int(text[start:index]), start), index


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in _WHITESPACE:
            index += 1
        elif char in "()[],":
            tokens.append(Token(PUNCTUATION, char, char, index))
            index += 1
        elif char in "=!<>":
            pair = text[index : index + 2]
            if pair in ("==", "!=", "<=", ">="):
                tokens.append(Token(OPERATOR, pair, pair, index))
                index += 2
            elif char in "<>":
                tokens.append(Token(OPERATOR, char, char, index))
                index += 1
            else:
                hint = "use '==' to compare" if char == "=" else "use '!=' or 'not'"
                raise RuleError(f"unexpected '{char}' ({hint})", index)
        elif char in "\"'":
            token, index = _string(text, index)
            tokens.append(token)
        elif char == "-" or (char.isascii() and char.isdigit()):
            token, index = _number(text, index)
            tokens.append(token)
        elif _is_word_start(char):
            end = index + 1
            while end < len(text) and _is_word_char(text[end]):
                end += 1
            word = text[index:end]
            tokens.append(Token(KEYWORD if word in KEYWORDS else WORD, word, word, index))
            index = end
        else:
            raise RuleError(f"unexpected character {char!r}", index)
    tokens.append(Token(END, "", None, len(text)))
    return tokens
