"""The points ledger: wallets and sharded system accounts, immutable two-phase transfers, reservations, maker-checker adjustments."""
