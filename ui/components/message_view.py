"""A message as its recipient would see it: an email's HTML in a sandboxed frame (no scripts, no
access to the console: ``sandbox`` with nothing allowed, content by ``srcdoc``) beside its plain
text, or an SMS or WhatsApp text as a phone's chat bubble."""

from __future__ import annotations

from nicegui import context, ui

_STYLE = """
.mb-phone { background: #ece5dd; border-radius: 18px; padding: 16px 12px; width: 100%; max-width: 360px; }
.mb-phone.sms { background: #f2f2f7; }
.mb-bubble { background: white; border-radius: 14px 14px 14px 4px; padding: 8px 12px; max-width: 92%;
  white-space: pre-wrap; word-break: break-word; font-size: 15px; line-height: 1.35; box-shadow: 0 1px 1px rgba(0,0,0,.08); }
.mb-phone.whatsapp .mb-bubble { background: #dcf8c6; border-radius: 14px 14px 4px 14px; margin-left: auto; }
.mb-phone.sms .mb-bubble { background: #e5e5ea; }
.mb-email-frame { width: 100%; min-height: 320px; border: 1px solid #e4e1ec; border-radius: 8px; background: white; }
.mb-plain { white-space: pre-wrap; word-break: break-word; font-family: ui-monospace, monospace; font-size: 13px;
  background: #faf9fc; border: 1px solid #e4e1ec; border-radius: 8px; padding: 12px; margin: 0; width: 100%; }
"""


def _style() -> None:
    client = context.client
    if not getattr(client, "mb_message_style", False):  # once per page
        ui.add_css(_STYLE)
        client.mb_message_style = True


def email_frame(html: str, *, marker: str = "email-html") -> ui.element:
    """The HTML of an email, unable to run scripts, submit forms or reach the console's origin."""
    _style()
    frame = ui.element("iframe").classes("mb-email-frame").mark(marker)
    frame.props["sandbox"] = ""  # every restriction on: no scripts, a unique origin
    frame.props["referrerpolicy"] = "no-referrer"
    frame.props["title"] = "The email's HTML"
    frame.props["srcdoc"] = html
    return frame


def plain_text(text: str, *, marker: str = "plain-text") -> ui.element:
    _style()
    block = ui.element("pre").classes("mb-plain").mark(marker)
    with block:
        ui.label(text)  # a label's text is escaped: what the recipient reads, not markup
    return block


def phone_bubble(text: str, channel: str, *, sender: str = "", marker: str = "phone-bubble") -> ui.element:
    _style()
    with ui.column().classes(f"mb-phone {channel} gap-1").mark(marker) as phone:
        if sender:
            ui.label(sender).classes("text-caption mb-muted self-center")
        ui.label(text).classes("mb-bubble").mark(f"{marker}-text")
    return phone
