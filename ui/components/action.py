"""Run one console action through its service: re-check the session, show the rule that refused it
next to the field it concerns (or as a message), and say plainly what was done."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from nicegui import ui
from nicegui.elements.mixins.validation_element import ValidationElement

from backend.core.authz import Actor
from backend.core.errors import DomainError
from backend.core.request_context import begin_request
from ui.components.flash import say
from ui.session import current_actor

T = TypeVar("T")


def clear_errors(fields: Mapping[str, ValidationElement]) -> None:
    for element in fields.values():
        element.error = None


def sentence(text: str) -> str:
    """Services word their rules in lower case for logs and APIs; a person reads a sentence."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def show_errors(error: DomainError, fields: Mapping[str, ValidationElement] | None = None) -> None:
    """Field errors go under their inputs; the rest (and errors of fields not on the form) in a message."""
    fields = fields or {}
    unplaced = []
    for item in error.errors:
        if item.field in fields:
            fields[item.field].error = sentence(item.message)
        else:
            unplaced.append(sentence(item.message))
    if unplaced:
        ui.notify(" ".join(unplaced), type="negative", multi_line=True, close_button=True)


async def perform(
    work: Callable[[Actor], Awaitable[T]],
    *,
    done: str | Callable[[T], str] | None = None,
    fields: Mapping[str, ValidationElement] | None = None,
) -> T | None:
    """``work(actor)`` with the signed-in actor; None when the session ended or a rule refused it."""
    actor = await current_actor()
    if actor is None:
        return None
    begin_request()  # the audit entries of this action share one request id
    if fields:
        clear_errors(fields)
    try:
        result = await work(actor)
    except DomainError as error:
        show_errors(error, fields)
        return None
    if done is not None:
        say(done(result) if callable(done) else done)  # kept for the next page if this one navigates
    return result
