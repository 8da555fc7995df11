"""The action server as `make run` and the tests start it.

rasa-sdk's own `rasa run actions` listens on every interface, accepts any caller
and answers errors with the exception text and the whole request body (the
conversation). This wrapper keeps rasa-sdk's app but:
  - binds 127.0.0.1 unless --host says otherwise;
  - requires the X-Action-Token header to match ACTION_SERVER_TOKEN (Rasa sends
    it from the `headers` of action_endpoint in endpoints.yml); /health is open;
  - answers errors with a short JSON message and logs the details.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
from pathlib import Path

from sanic import Request, response
from sanic.response import HTTPResponse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN_HEADER = "X-Action-Token"
OPEN_PATHS = {"/health"}
logger = logging.getLogger("action_server")


def build_app(token: str):
    from rasa_sdk.endpoint import create_app

    app = create_app("actions", cors_origins=None)

    @app.on_request
    async def require_token(request: Request):
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "unauthorized"}, status=401)
        return None

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
    app = build_app(token)
    app.run(host=args.host, port=args.port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
