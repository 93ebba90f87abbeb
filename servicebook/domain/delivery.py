"""What became of a message: the states the mail ledger records and every report names."""

from __future__ import annotations

SENDING, SENT, DRAFT, FAILED, UNKNOWN = "sending", "sent", "draft", "failed", "unknown"
BOUNCED = "bounced"   # it went, and the recipient's server returned it (a delivery status notification)
FINAL = (SENDING, SENT, DRAFT, UNKNOWN, BOUNCED)   # never sent again: it went, or nobody knows that it did not
MAX_ATTEMPTS = 3   # a message that failed this many nights is left for a person
