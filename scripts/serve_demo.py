"""Serve the demo clinic page (widget/) with its chat widget pointed at a Rasa server.

    .venv/bin/python scripts/serve_demo.py --host 127.0.0.1 --port 8080 \
        --rasa http://127.0.0.1:5005

index.html is served with the widget's data-server attribute set to --rasa; of
the other files in widget/, only those the page loads (PAGE_FILES) are served,
as they are: not README.md, nor anything else put in the folder (404).
Standard library only. The Rasa server
must allow this page's origin (rasa run --cors http://HOST:PORT), as scripts/run.sh
does.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

WIDGET_DIR = Path(__file__).resolve().parent.parent / "widget"
# What index.html loads (the widget loads widget.css next to widget.js).
PAGE_FILES = frozenset({"widget.js", "widget.css", "demo.css", "favicon.svg"})
SERVER_ATTRIBUTE = re.compile(
    r'(<script\b[^>]*?\bdata-server=")[^"]*(")', re.IGNORECASE | re.DOTALL
)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def http_url(value: str) -> str:
    """argparse type: an http(s) URL without a trailing slash."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {value!r}")
    return value.rstrip("/")


def render_index(rasa_url: str, directory: Path = WIDGET_DIR) -> bytes:
    """index.html with the widget's data-server set to rasa_url."""
    page = (directory / "index.html").read_text(encoding="utf-8")
    value = html.escape(rasa_url, quote=True)
    page, count = SERVER_ATTRIBUTE.subn(
        lambda m: m.group(1) + value + m.group(2), page, count=1
    )
    if count != 1:
        raise RuntimeError("widget/index.html has no <script data-server=...> tag")
    return page.encode("utf-8")


def content_security_policy(rasa_url: str) -> str:
    """A strict policy the widget works under (no inline script or style)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: https:",
            f"connect-src 'self' {origin_of(rasa_url)}",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ]
    )


class DemoHandler(SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".html": "text/html; charset=utf-8",
        ".svg": "image/svg+xml",
    }
    # No "SimpleHTTP/0.6 Python/3.x" banner.
    server_version = "demo"
    sys_version = ""

    def __init__(
        self,
        *args,
        rasa_url: str,
        csp: bool = False,
        quiet: bool = False,
        **kwargs,
    ) -> None:
        self.rasa_url = rasa_url
        self.csp = csp
        self.quiet = quiet
        super().__init__(*args, directory=str(WIDGET_DIR), **kwargs)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "strict-origin-when-cross-origin")
        if self.csp:
            self.send_header(
                "Content-Security-Policy", content_security_policy(self.rasa_url)
            )
        super().end_headers()

    def _index(self, head: bool) -> None:
        body = render_index(self.rasa_url)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _is_index(self) -> bool:
        return urlsplit(self.path).path in ("/", "/index.html")

    def _is_page_file(self) -> bool:
        """One of PAGE_FILES, named exactly: no folders, no other files."""
        return urlsplit(self.path).path.lstrip("/") in PAGE_FILES

    def _not_found(self, head: bool) -> None:
        body = b"Not found\n"
        self.send_response(404)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def do_GET(self) -> None:
        if self._is_index():
            self._index(head=False)
        elif self._is_page_file():
            super().do_GET()
        else:
            self._not_found(head=False)

    def do_HEAD(self) -> None:
        if self._is_index():
            self._index(head=True)
        elif self._is_page_file():
            super().do_HEAD()
        else:
            self._not_found(head=True)

    def log_message(self, format: str, *args) -> None:
        if not self.quiet:
            super().log_message(format, *args)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on")
    parser.add_argument(
        "--rasa",
        type=http_url,
        default="http://127.0.0.1:5005",
        help="the Rasa server the widget talks to (its REST channel)",
    )
    parser.add_argument(
        "--csp",
        action="store_true",
        help="send a strict Content-Security-Policy (what a clinic site might use)",
    )
    parser.add_argument("--quiet", action="store_true", help="don't log requests")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    render_index(args.rasa)  # fail now, not on the first request
    handler = partial(DemoHandler, rasa_url=args.rasa, csp=args.csp, quiet=args.quiet)
    server = ThreadingHTTPServer((args.host, args.port), handler)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"Demo clinic page on http://{host}:{args.port}/ (widget -> {args.rasa})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
