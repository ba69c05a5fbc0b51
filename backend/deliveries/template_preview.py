"""A template as the recipient would see it, before it is stored: rendered by the worker's own
sandboxed environment (``templates.render``) with sample reward values, or the problems that keep
it from being stored, in words; for SMS, its length in segments."""

from __future__ import annotations

from dataclasses import dataclass

from backend.core.errors import DomainError, FieldError
from backend.deliveries.sms_length import SmsLength, sms_length
from backend.deliveries.templates import SAMPLE, SMS, Rendered, TemplateSet, check, render


@dataclass(frozen=True)
class Preview:
    rendered: Rendered | None  # None when the template has problems
    problems: tuple[FieldError, ...] = ()
    sms: SmsLength | None = None  # SMS only: of the message rendered with the sample values


def preview(channel: str, templates: TemplateSet, variables: dict[str, str] | None = None) -> Preview:
    try:
        check(channel, templates)
    except DomainError as error:
        return Preview(None, tuple(error.errors))
    rendered = render(channel, templates, variables or SAMPLE)
    return Preview(rendered, (), sms_length(rendered.text) if channel == SMS else None)
