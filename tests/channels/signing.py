"""How each provider signs its webhook calls, for building test requests."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator


def twilio_request(auth_token: str, url: str, params: Mapping[str, str]) -> tuple:
    """(form body, headers) of a Twilio webhook call signed for `url`."""
    signature = RequestValidator(auth_token).compute_signature(url, dict(params))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }
    return urlencode(params).encode(), headers


def slack_headers(
    signing_secret: str,
    body: bytes,
    content_type: str = "application/json",
    timestamp: int | None = None,
) -> dict[str, str]:
    """Headers of a Slack call: v0 HMAC-SHA256 over "v0:<timestamp>:<body>"."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{stamp}:".encode() + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }


def hub_headers(app_secret: str, body: bytes) -> dict[str, str]:
    """Headers of a Messenger call: X-Hub-Signature (SHA-1) and -256."""
    sha1 = hmac.new(app_secret.encode(), body, hashlib.sha1).hexdigest()
    sha256 = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Hub-Signature": f"sha1={sha1}",
        "X-Hub-Signature-256": f"sha256={sha256}",
    }
