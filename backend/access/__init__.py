"""Access: console users, roles, sessions, API keys, and who may do what."""
