"""The delivery channels in words, one place for every page that names them. A leaf module: the
pages packages import it without pulling each other in (a package's ``__init__`` registers pages)."""

from __future__ import annotations

CHANNELS = {"email": "Email", "sms": "SMS", "whatsapp": "WhatsApp"}
