"""How the delivery pages name channels and roles."""

from __future__ import annotations

from backend.deliveries.views import FAILOVER, PRIMARY

CHANNEL_LABELS = {"email": "Email", "sms": "SMS", "whatsapp": "WhatsApp"}
CHANNEL_ICONS = {"email": "mail", "sms": "sms", "whatsapp": "chat"}
ROLE_LABELS = {PRIMARY: "Primary", FAILOVER: "Failover"}
CONTACT_HINTS = {"email": "you@example.com", "sms": "+919812345678", "whatsapp": "+919812345678"}
