"""Keeping conversations safely: redaction and resilient stores (the storage layer).

Configured by class path in endpoints.yml (see docs/deployment.md and
PRIVACY.md). Imports nothing from channels/, actions/ or runtime/:

- redaction.py: masks e-mail addresses, phone, card, SSN-like and other long
  numbers, dates and IBANs in user messages, and in every log line.
- redacting.py: RedactingSQLTrackerStore, the SQL tracker store (SQLite or
  PostgreSQL) that stores user messages redacted, retries transient database
  errors and raises TrackerStoreUnavailable instead of silently starting over.
- locks.py: ResilientRedisLockStore, an atomic Redis lock per conversation
  shared by every Rasa replica, with retries and LockStoreUnavailable.
- identity.py: sender IDs as stored, a keyed hash (SENDER_ID_KEY).
- errors.py: the exceptions above and the per-request failure marker.
"""
