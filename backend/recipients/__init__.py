"""Recipients (the people rewarded) and programmes (the schemes they are rewarded under)."""
