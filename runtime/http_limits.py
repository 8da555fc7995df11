"""The Rasa server's HTTP limits and its root route, set at server start.

`rasa run` builds a Sanic app with Sanic's defaults: a 100 MB body limit, 60 s
to receive a request, and `GET /` answering "Hello from Rasa: <version>". The
server_hooks adjustment (runtime/adjustments.py) applies, before the server
starts, whatever channels are configured:

- body size: Sanic's REQUEST_MAX_SIZE at most MAX_BODY_BYTES, so a bigger
  body is refused with 413 from its Content-Length (or as soon as a chunked
  one passes the limit) instead of being read whole first;
- time to send the request line and headers: REQUEST_TIMEOUT at most
  REQUEST_TIMEOUT_SECONDS (headers that never end get 408); after that,
  Sanic 21.12 counts reading the body as handling, so RESPONSE_TIMEOUT (at
  most RESPONSE_TIMEOUT_SECONDS without progress) also ends a stalled body
  (503). The channel itself gives up on a message after
  MESSAGE_DEADLINE_SECONDS; the reverse proxy's client_body_timeout is the
  tighter limit on slow bodies (SECURITY.md);
- `GET /` (and HEAD): {"status": "ok"}, no version banner.

The values are ceilings: SANIC_REQUEST_MAX_SIZE, SANIC_REQUEST_TIMEOUT and
SANIC_RESPONSE_TIMEOUT (Sanic reads SANIC_* variables into its config when
the app is created) may set lower ones, never higher. scripts/run.sh, the
production image and the live tests set them to SANIC_LIMITS explicitly.
"""

from __future__ import annotations

import logging
from typing import Any

from sanic import response
from sanic.exceptions import PayloadTooLarge, RequestTimeout
from sanic.request import Request

from channels.guard import MAX_BODY_BYTES

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 10
RESPONSE_TIMEOUT_SECONDS = 60

# The same limits as environment variables for `rasa run` (Sanic's SANIC_ prefix).
SANIC_LIMITS: dict[str, str] = {
    "SANIC_REQUEST_MAX_SIZE": str(MAX_BODY_BYTES),
    "SANIC_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT_SECONDS),
    "SANIC_RESPONSE_TIMEOUT": str(RESPONSE_TIMEOUT_SECONDS),
}


async def root(request: Request) -> Any:
    """App-wide request middleware: `GET /` says ok, without Rasa's version."""
    if request.path == "/" and request.method in ("GET", "HEAD"):
        return response.json({"status": "ok"})
    return None


def _too_large(request: Request, exception: Exception) -> Any:
    return response.json(
        {"error": f"request body over {MAX_BODY_BYTES} bytes"}, status=413
    )


def _timed_out(request: Request, exception: Exception) -> Any:
    return response.json({"error": "request not received in time"}, status=408)


def apply_limits(app: Any, _loop: Any = None) -> None:
    """Sanic listener (before_server_start): limits, error replies, root route."""
    config = app.config
    ceilings = {
        "REQUEST_MAX_SIZE": MAX_BODY_BYTES,
        "REQUEST_TIMEOUT": REQUEST_TIMEOUT_SECONDS,
        "RESPONSE_TIMEOUT": RESPONSE_TIMEOUT_SECONDS,
    }
    for key, ceiling in ceilings.items():
        if getattr(config, key) > ceiling:
            logger.info("Sanic %s lowered to %s (SANIC_%s)", key, ceiling, key)
            setattr(config, key, ceiling)
    app.error_handler.add(PayloadTooLarge, _too_large)
    app.error_handler.add(RequestTimeout, _timed_out)
    if root not in app.request_middleware:
        app.register_middleware(root, "request")
