"""The recursive-descent parser: tokens → syntax tree, or a RuleError with position and reason.

rule       := [ or_expr ] END
or_expr    := and_expr ( "or" and_expr )*
and_expr   := unary ( "and" unary )*
unary      := "not" unary | primary
primary    := "(" or_expr ")" | condition
condition  := ATTRIBUTE ( OPERATOR value | "in" list | "not" "in" list )
list       := "[" value ( "," value )* "]"          -- values of one kind
value      := STRING | NUMBER | "true" | "false" | WORD
"""

from __future__ import annotations

from backend.catalog.eligibility.errors import RuleError
from backend.catalog.eligibility.syntax import (
    ATTRIBUTE,
    BOOLEAN,
    NUMBER,
    ORDERING,
    TEXT,
    And,
    Comparison,
    Literal,
    Membership,
    Not,
    Or,
    Rule,
)
from backend.catalog.eligibility.tokens import END, KEYWORD, OPERATOR, PUNCTUATION, STRING, WORD, Token, tokenize
from backend.catalog.eligibility.tokens import NUMBER as NUMBER_TOKEN

MAX_LENGTH = 4000
MAX_CONDITIONS = 200
MAX_NESTING = 50
MAX_LIST = 1000


def _described(token: Token) -> str:
    return "the end of the rule" if token.kind == END else f"'{token.text}'"


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.index = 0
        self.nesting = 0
        self.conditions = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def is_(self, kind: str, text: str | None = None) -> bool:
        return self.token.kind == kind and (text is None or self.token.text == text)

    def fail(self, expected: str, token: Token | None = None):
        token = token or self.token
        raise RuleError(
            f"expected {expected}, found {_described(token)}" if token.kind != END else f"expected {expected}", token.position
        )

    def rule(self) -> Rule | None:
        if self.is_(END):
            return None
        node = self.or_expr()
        if not self.is_(END):
            self.fail("'and', 'or' or the end of the rule")
        return node

    def or_expr(self) -> Rule:
        node = self.and_expr()
        while self.is_(KEYWORD, "or"):
            self.advance()
            node = Or(node, self.and_expr())
        return node

    def and_expr(self) -> Rule:
        node = self.unary()
        while self.is_(KEYWORD, "and"):
            self.advance()
            node = And(node, self.unary())
        return node

    def nest(self, token: Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise RuleError(f"a rule nests at most {MAX_NESTING} levels deep", token.position)

    def unary(self) -> Rule:
        if self.is_(KEYWORD, "not"):
            self.nest(self.advance())
            node = Not(self.unary())
            self.nesting -= 1
            return node
        return self.primary()

    def primary(self) -> Rule:
        if self.is_(PUNCTUATION, "("):
            self.nest(self.advance())
            node = self.or_expr()
            if not self.is_(PUNCTUATION, ")"):
                self.fail("')'")
            self.advance()
            self.nesting -= 1
            return node
        if self.is_(WORD):
            return self.condition()
        self.fail("an attribute name, 'not' or '('")

    def condition(self) -> Rule:
        name = self.advance()
        if not ATTRIBUTE.match(name.text):
            raise RuleError(f"attribute names are lower_snake_case (e.g. grade, business_unit), not '{name.text}'", name.position)
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise RuleError(f"a rule has at most {MAX_CONDITIONS} conditions", name.position)
        if self.is_(OPERATOR):
            operator = self.advance()
            literal_token = self.token
            literal = self.value()
            if operator.text in ORDERING and literal.kind != NUMBER:
                raise RuleError(
                    f"'{operator.text}' compares numbers: expected a whole number, found {_described(literal_token)}",
                    literal_token.position,
                )
            return Comparison(name.text, operator.text, literal)
        negated = False
        if self.is_(KEYWORD, "not"):
            self.advance()
            if not self.is_(KEYWORD, "in"):
                self.fail("'in' after 'not'")
            negated = True
        if self.is_(KEYWORD, "in"):
            self.advance()
            return Membership(name.text, self.values(), negated)
        self.fail(f"a comparison (==, !=, <, <=, >, >=, in, not in) after '{name.text}'")

    def values(self) -> tuple[Literal, ...]:
        if not self.is_(PUNCTUATION, "["):
            self.fail("'['")
        self.advance()
        if self.is_(PUNCTUATION, "]"):
            raise RuleError("a list needs at least one value", self.token.position)
        first_token = self.token
        literals = [self.value()]
        while self.is_(PUNCTUATION, ","):
            self.advance()
            token = self.token
            literal = self.value()
            if literal.kind != literals[0].kind:
                raise RuleError(
                    f"a list holds values of one kind: expected {literals[0].kind} like {first_token.text}, found {_described(token)}",
                    token.position,
                )
            literals.append(literal)
            if len(literals) > MAX_LIST:
                raise RuleError(f"a list holds at most {MAX_LIST} values", token.position)
        if not self.is_(PUNCTUATION, "]"):
            self.fail("']'" if self.is_(END) else "',' or ']'")
        self.advance()
        return tuple(literals)

    def value(self) -> Literal:
        token = self.token
        if token.kind == STRING:
            self.advance()
            return Literal(TEXT, token.value)
        if token.kind == NUMBER_TOKEN:
            self.advance()
            return Literal(NUMBER, token.value)
        if token.kind == KEYWORD and token.text in ("true", "false"):
            self.advance()
            return Literal(BOOLEAN, token.text == "true")
        if token.kind == WORD:
            self.advance()
            return Literal(TEXT, token.text)
        self.fail("a value (a number, text, true or false)")


def parse(text: str | None) -> Rule | None:
    """The rule's tree, or None for an empty rule (everyone is eligible). Raises RuleError."""
    text = text or ""
    if len(text) > MAX_LENGTH:
        raise RuleError(f"a rule is at most {MAX_LENGTH} characters", MAX_LENGTH)
    return _Parser(text).rule()
