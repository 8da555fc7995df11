"""Fail if a committed file holds something that looks like a real secret.

Provider-shaped credentials (private keys, AWS, Slack, Twilio, Stripe-style
live keys, Telegram bot tokens) are searched in every tracked file. Generic
`token: <literal>` assignments are searched in configuration and code outside
tests/ (tests use obviously fake values on purpose). Secrets belong in
environment variables: `${VAR}` references are fine.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROVIDER_PATTERNS = {
    "private key": r"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----",
    "AWS access key": r"\bAKIA[0-9A-Z]{16}\b",
    "Slack token": r"\bxox[abprs]-[0-9A-Za-z-]{10,}",
    "Twilio API key": r"\bSK[0-9a-f]{32}\b",
    "Twilio account SID": r"\bAC[0-9a-f]{32}\b",
    "live API key": r"\b[rs]k_live_[0-9A-Za-z]{16,}",
    "Telegram bot token": r"\b\d{8,10}:AA[0-9A-Za-z_-]{33}\b",
}
_NAMES = r"(secret|token|password|passwd|api[_-]?key|auth[_-]?token)"
# In code only a quoted literal counts (`token = request.args.get(...)` is fine).
GENERIC_CODE = re.compile(
    rf"""(?ix)\b{_NAMES}\b["']?\s*[:=]\s*["'](?!\$\{{)([A-Za-z0-9/+_.\-]{{16,}})"""
)
GENERIC_CONFIG = re.compile(
    rf"""(?ix)\b{_NAMES}\b["']?\s*[:=]\s*["']?(?!\$\{{)([A-Za-z0-9/+_.\-]{{16,}})"""
)
GENERIC_SUFFIXES = {".yml", ".yaml", ".json", ".env", ".cfg", ".ini", ".toml", ".py"}
PLACEHOLDER = re.compile(
    r"(?i)change[-_]?me|example|placeholder|dummy|fake|test|x{6,}|0{16,}"
)


def tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [ROOT / line for line in out.splitlines() if line]


def findings(path: Path, text: str) -> Iterable[tuple[str, int]]:
    for name, pattern in PROVIDER_PATTERNS.items():
        for match in re.finditer(pattern, text):
            if not PLACEHOLDER.search(match.group(0)):
                yield name, text.count("\n", 0, match.start()) + 1
    relative = path.relative_to(ROOT).as_posix()
    if path.suffix in GENERIC_SUFFIXES and not relative.startswith("tests/"):
        generic = GENERIC_CODE if path.suffix == ".py" else GENERIC_CONFIG
        for match in generic.finditer(text):
            if not PLACEHOLDER.search(match.group(2)):
                yield f"literal {match.group(1)}", text.count(
                    "\n", 0, match.start()
                ) + 1


def scan(paths: Iterable[Path]) -> list[str]:
    problems = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        for name, line in findings(path, text):
            problems.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    return problems


def main() -> int:
    problems = scan(tracked_files())
    for problem in problems:
        print(f"possible secret: {problem}")
    print(f"secret check: {len(problems)} finding(s) in tracked files")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
