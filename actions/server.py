"""The action server as `make run`, the image and the tests start it: `python -m actions`.

rasa-sdk's own `rasa run actions` listens on every interface, accepts any caller
and answers errors with the exception text and the whole request body (the
conversation). This wrapper keeps rasa-sdk's app but:
  - binds 127.0.0.1 unless --host says otherwise;
  - requires the X-Action-Token header to match ACTION_SERVER_TOKEN (Rasa sends
    it from the `headers` of action_endpoint in endpoints.yml), before anything
    else runs (CORS pre-flight included): a missing, wrong or undecodable token
    gets 401; /health is open;
  - answers OPTIONS with 405: only the Rasa server calls it, never a browser;
  - answers errors with a short JSON message and logs the details;
  - redacts its log lines like the Rasa server (persistence/redaction.py).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
from typing import Any

from sanic import Request, response
from sanic.response import HTTPResponse

from persistence.redaction import install_log_redaction, quiet_library_notices

TOKEN_HEADER = "X-Action-Token"
OPEN_PATHS = {"/health"}
logger = logging.getLogger("action_server")


def token_matches(given: str, token: str) -> bool:
    """Constant-time comparison; a header that isn't valid text never matches."""
    try:
        given_bytes = given.encode("utf-8")  # undecodable bytes arrive as surrogates
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(given_bytes, token.encode("utf-8"))


def build_app(token: str) -> Any:
    from rasa_sdk.endpoint import create_app

    app = create_app("actions", cors_origins=None)

    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        if not token_matches(request.headers.get(TOKEN_HEADER, ""), token):
            return response.json({"error": "unauthorized"}, status=401)
        if request.method == "OPTIONS":
            return response.json({"error": "method not allowed"}, status=405)
        return None

    async def token_check_first(app: Any, _loop: Any = None) -> None:
        # rasa-sdk's CORS extension puts its own middleware first when the
        # server starts, and it answers OPTIONS with 200 whoever asks; the
        # token check goes before it (this listener runs after the extension's).
        if require_token in app.request_middleware:
            app.request_middleware.remove(require_token)
        app.request_middleware.appendleft(require_token)

    app.register_listener(token_check_first, "before_server_start")

    async def safe_error(request: Request, exception: Exception) -> HTTPResponse:
        status = getattr(exception, "status_code", 500)
        if status >= 500:
            logger.exception("action server error on %s", request.path)
        return response.json({"error": "action server error"}, status=status)

    app.error_handler.add(Exception, safe_error)
    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--host", default=os.environ.get("ACTION_SERVER_HOST", "127.0.0.1")
    )
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    token = os.environ.get("ACTION_SERVER_TOKEN", "")
    if len(token) < 16:
        print("ACTION_SERVER_TOKEN must be set (16+ characters)", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    install_log_redaction()
    quiet_library_notices()
    app = build_app(token)
    app.run(host=args.host, port=args.port, workers=1, access_log=False)
    return 0
