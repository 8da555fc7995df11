"""Keeping conversations safely: redaction, resilient stores, graceful failures.

Configured by class path in endpoints.yml / credentials.yml (see docs/deployment.md
and PRIVACY.md):

- redaction.py: masks e-mail addresses, phone, card, SSN-like and other long
  numbers, dates and IBANs in user messages, and in every log line.
- redacting.py: RedactingSQLTrackerStore, the SQL tracker store (SQLite or
  PostgreSQL) that stores user messages redacted, retries transient database
  errors and raises TrackerStoreUnavailable instead of silently starting over.
- locks.py: ResilientRedisLockStore, an atomic Redis lock per conversation
  shared by every Rasa replica, with retries and LockStoreUnavailable.
- identity.py: sender IDs as stored, a keyed hash (SENDER_ID_KEY).
- channel.py: ResilientRestInput, the REST channel (same URL as Rasa's) that
  answers with an apology and the clinic's phone number when a store is down.
- server.py: the Rasa server's body size and time limits and its root route,
  applied by the REST channel.
- errors.py: the exceptions above and the per-request failure marker.
"""
