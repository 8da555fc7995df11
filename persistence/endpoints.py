"""The database of the tracker store an endpoints file configures.

Read the way Rasa reads it (${VAR} from the environment), for the tools that
work on stored conversations without a Rasa server: the retention script and
the clinic report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parent.parent
VARIABLE = re.compile(r"\$\{([^}]+)\}")


def expand(value: Any, environ: Mapping[str, str]) -> Any:
    """Replace ${VAR} in strings, like Rasa; an unset variable is an error."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise SystemExit(f"error: environment variable {name} is not set")
            return environ[name]

        return VARIABLE.sub(replace, value)
    if isinstance(value, dict):
        return {k: expand(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, environ) for v in value]
    return value


def url_from_endpoints(
    path: Path, environ: Mapping[str, str] | None = None
) -> sa.engine.URL:
    """The database URL of the SQL tracker store configured in `path`."""
    environ = os.environ if environ is None else environ
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    store: dict[str, Any] = expand(config.get("tracker_store") or {}, environ)
    if "dialect" not in store and str(store.get("type", "")).lower() != "sql":
        raise SystemExit(f"error: {path} has no SQL tracker_store (type SQL, dialect)")
    host = store.get("url")
    if host and "://" in str(host):
        return sa.engine.make_url(str(host))
    dialect = store.get("dialect", "sqlite")
    db = str(store.get("db", "rasa.db"))
    if dialect == "sqlite" and db and not Path(db).is_absolute():
        db = str(ROOT / db)  # `make run` serves from the project folder
    return sa.engine.URL.create(
        dialect,
        username=store.get("username") or None,
        password=store.get("password") or None,
        host=str(host) if host else None,
        port=int(store["port"]) if store.get("port") else None,
        database=db,
        query=store.get("query") or {},
    )
