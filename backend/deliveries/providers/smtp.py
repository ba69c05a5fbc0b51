"""Email over SMTP (aiosmtplib): STARTTLS or implicit TLS, optional login, HTML with a plain-text
alternative. The Message-ID is made from the delivery id, so a receiving system can tell a resend
of one delivery from a new message, and it is what we record as the provider's message id.

Classification: a 5xx reply (recipient refused, mailbox unknown, blocked) is a hard bounce,
permanent; a 4xx reply, a timeout, a refused or dropped connection are transient."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib

from backend.deliveries.providers import Message, Outcome, permanent, transient

NAME = "smtp"
SECURITY = ("starttls", "tls", "none")  # none: plain SMTP, e.g. a relay on localhost


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    from_address: str
    from_name: str = ""
    security: str = "starttls"
    username: str = ""
    password: str = ""
    timeout_seconds: float = 10.0
    validate_certs: bool = True


def email_message(message: Message, settings: SmtpSettings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = formataddr((settings.from_name, settings.from_address)) if settings.from_name else settings.from_address
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = message_id(message, settings)
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.file_name)
    return email


def message_id(message: Message, settings: SmtpSettings) -> str:
    domain = settings.from_address.rpartition("@")[2] or "mirabelle.invalid"
    return f"<delivery-{message.delivery_id}@{domain}>"


def _reply(code: int, text: str) -> Outcome:
    words = f"the mail server answered {code}: {text.strip()}"
    if 500 <= code < 600:
        return permanent("HARD_BOUNCE", words)
    return transient(f"SMTP_{code}", words)


class SmtpProvider:
    name = NAME

    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    async def send(self, message: Message) -> Outcome:
        settings = self.settings
        email = email_message(message, settings)
        try:
            await aiosmtplib.send(
                email,
                hostname=settings.host,
                port=settings.port,
                username=settings.username or None,
                password=settings.password or None,
                use_tls=settings.security == "tls",
                start_tls=settings.security == "starttls",
                validate_certs=settings.validate_certs,
                timeout=settings.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            first = refused.recipients[0]
            return _reply(first.code, f"{first.recipient} refused: {first.message}")
        except aiosmtplib.SMTPAuthenticationError as error:
            return permanent("SMTP_AUTH", f"the mail server refused our login ({error.code}): {error.message}")
        except aiosmtplib.SMTPResponseException as error:
            return _reply(error.code, error.message)
        except (aiosmtplib.SMTPTimeoutError, TimeoutError):
            return transient("TIMEOUT", f"the mail server did not answer within {settings.timeout_seconds:g} s")
        except (aiosmtplib.SMTPException, OSError) as error:  # refused, dropped, TLS: try again later
            return transient("CONNECTION", f"cannot talk to {settings.host}:{settings.port}: {error}")
        return Outcome(provider_message_id=email["Message-ID"])
