"""Templated email: rendering, the MIME message, the ledger that never sends twice, transports."""
