"""The production recipe, run from exactly the files its Dockerfiles copy.

Docker is not available here, so each image's /app is rebuilt as a folder from
the COPY lines of deploy/Dockerfile.rasa and deploy/Dockerfile.actions (read
from the Dockerfiles, never listed twice) and started the way the image starts
it: the Rasa image through its entry point (deploy/start-rasa.sh) with the
production endpoints and credentials, against throw-away PostgreSQL and Redis
servers; the action server through its ENTRYPOINT. Nothing on PYTHONPATH: a
file the Dockerfile forgets to copy fails here.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live import ROOT, free_port, model_path
from tests.support.services import (
    PG_MISSING,
    REDIS_MISSING,
    PostgresServer,
    RedisServer,
    find_pg_bin,
    find_redis,
)
from tests.support.wait import wait_for_http

pytestmark = pytest.mark.live

DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent


def copy_lines(dockerfile: Path) -> list[tuple[list[str], str]]:
    """(sources, destination) of every COPY instruction, in order."""
    copies = []
    for line in dockerfile.read_text().splitlines():
        if not line.lstrip().upper().startswith("COPY "):
            continue  # e.g. an ENV line ending in "\" is not a whole command
        words = shlex.split(line, comments=True)
        if words and words[0].upper() == "COPY":
            args = [w for w in words[1:] if not w.startswith("--")]
            copies.append((args[:-1], args[-1]))
    return copies


def build_app(dockerfile: Path, root: Path) -> Path:
    """A folder laid out like the image's /app, from the Dockerfile's COPY lines."""
    app = root / "app"
    for sources, destination in copy_lines(dockerfile):
        assert destination.startswith("/app"), destination
        target = app / destination[len("/app") :].lstrip("/")
        for source in sources:
            path = ROOT / source
            assert path.exists(), f"{dockerfile.name} copies {source}, which is missing"
            into = target / path.name if destination.endswith("/") else target
            into.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
                shutil.copytree(path, into, ignore=ignore, dirs_exist_ok=True)
            else:
                shutil.copy2(path, into)
    return app


def entrypoint(dockerfile: Path) -> tuple[list[str], list[str]]:
    """(ENTRYPOINT, CMD) of the Dockerfile, in exec form."""
    found: dict[str, list[str]] = {"ENTRYPOINT": [], "CMD": []}
    for line in dockerfile.read_text().splitlines():
        keyword, _, rest = line.partition(" ")
        if keyword in found:
            found[keyword] = json.loads(rest)
    return found["ENTRYPOINT"], found["CMD"]


def image_command(dockerfile: Path, app: Path) -> list[str]:
    """The image's command with /app paths pointing at the folder."""
    start, args = entrypoint(dockerfile)
    command = start + args
    return [
        str(app / c[len("/app/") :]) if c.startswith("/app/") else c for c in command
    ]


# The project's packages: installed editable in .venv, so a package an image
# forgets would still import from the checkout unless checked.
PROJECT = {
    "actions", "channels", "clinic", "components", "persistence", "reporting",
    "runtime", "safety", "scripts",
}  # fmt: skip


def class_modules(path: Path, *keys: str) -> list[str]:
    """Modules of the class paths a YAML file names (channels, stores, components)."""
    import yaml

    data = yaml.safe_load(path.read_text()) or {}
    names: list[str] = []
    if not keys:
        names = [key for key in data if "." in key]
    for key in keys:
        value = data.get(key)
        if isinstance(value, dict):
            names.append(str(value.get("type", "")))
        elif isinstance(value, list):
            names += [str(item.get("name", "")) for item in value]
    return sorted({n.rsplit(".", 1)[0] for n in names if n.split(".")[0] in PROJECT})


def foreign_modules(app: Path, modules: list[str]) -> dict[str, str]:
    """Project modules that `modules` pull in from outside the image's /app."""
    code = (
        "import importlib, json, sys\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps({n: getattr(m, '__file__', None) or ''"
        " for n, m in list(sys.modules.items())}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", code, *modules],
        cwd=app, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        name: path
        for name, path in loaded.items()
        if name.split(".")[0] in PROJECT and not path.startswith(str(app))
    }


def test_each_image_holds_every_project_module_it_runs(tmp_path: Path) -> None:
    rasa_app = build_app(DEPLOY / "Dockerfile.rasa", tmp_path / "rasa")
    rasa_modules = [
        "runtime.__main__", "persistence.purge", "reporting.__main__",
        "channels.render_credentials",
        *class_modules(DEPLOY / "credentials.production.yml"),
        *class_modules(DEPLOY / "endpoints.production.yml", "tracker_store", "lock_store"),
        *class_modules(ROOT / "config.yml", "pipeline", "policies"),
    ]  # fmt: skip
    assert "channels.rest" in rasa_modules and "components.safety" in rasa_modules
    assert foreign_modules(rasa_app, rasa_modules) == {}
    actions_app = build_app(DEPLOY / "Dockerfile.actions", tmp_path / "actions")
    actions = ["actions.__main__", "actions.faq", "actions.session"]
    assert foreign_modules(actions_app, actions) == {}


def test_copy_lines_are_read() -> None:
    copied = {
        s for sources, _ in copy_lines(DEPLOY / "Dockerfile.rasa") for s in sources
    }
    assert {"components", "channels", "persistence", "models"} <= copied


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    pg_bin, redis_bin = find_pg_bin(), find_redis()
    assert pg_bin is not None, PG_MISSING
    assert redis_bin is not None, REDIS_MISSING
    work = tmp_path_factory.mktemp("production")
    rasa_app = build_app(DEPLOY / "Dockerfile.rasa", work / "rasa")
    actions_app = build_app(DEPLOY / "Dockerfile.actions", work / "actions")
    # Only the model for the current data, as `make train` leaves it.
    for stale in (rasa_app / "models").glob("*.tar.gz"):
        if stale.name != model_path().name:
            stale.unlink()
    postgres, redis = PostgresServer(pg_bin), RedisServer(redis_bin)
    processes: list[subprocess.Popen] = []
    actions_port, rasa_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "CLINIC_SETTINGS_FILE")
    }
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        RASA_TELEMETRY_ENABLED="false",
        ACTION_SERVER_TOKEN=secrets.token_hex(24),
        # Required with PostgreSQL (deploy/docker-compose.yml: deploy/.env).
        SENDER_ID_KEY=secrets.token_hex(32),
        ACTION_SERVER_URL=f"http://127.0.0.1:{actions_port}/webhook",
        DB_HOST="127.0.0.1",
        DB_USER="postgres",
        DB_PASSWORD="",
        DB_DATABASE="rasa",
        REDIS_HOST="127.0.0.1",
        REDIS_PASSWORD="",
        RASA_CREDENTIALS_FILE=str(work / "credentials.rendered.yml"),
    )
    try:
        postgres.init().start()
        postgres.create_database("rasa")
        redis.start()
        env.update(DB_PORT=str(postgres.port), REDIS_PORT=str(redis.port))
        actions_cmd = image_command(DEPLOY / "Dockerfile.actions", actions_app)
        actions_cmd = [sys.executable if c == "python" else c for c in actions_cmd]
        actions_cmd = [
            "127.0.0.1" if c == "0.0.0.0" else str(actions_port) if c == "5055" else c
            for c in actions_cmd
        ]
        with open(work / "actions.log", "wb") as log:
            processes.append(
                subprocess.Popen(
                    actions_cmd, cwd=actions_app, env=env, stdout=log, stderr=log
                )
            )
        wait_for_http(f"http://127.0.0.1:{actions_port}/health", processes[-1], 60)
        rasa_cmd = image_command(DEPLOY / "Dockerfile.rasa", rasa_app)
        rasa_cmd = [str(rasa_port) if c == "5005" else c for c in rasa_cmd]
        rasa_cmd += ["--interface", "127.0.0.1"]
        with open(work / "rasa.log", "wb") as log:
            processes.append(
                subprocess.Popen(
                    rasa_cmd, cwd=rasa_app, env=env, stdout=log, stderr=log
                )
            )
        url = f"http://127.0.0.1:{rasa_port}"
        wait_for_http(f"{url}/webhooks/rest/ready", processes[-1], 240)
        yield {"url": url, "work": str(work)}
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.cleanup()
        postgres.cleanup()


def test_production_layout_answers_with_actions(production: dict[str, str]) -> None:
    import urllib.request

    body = json.dumps(
        {
            "sender": "prod-check",
            "message": "how long does physical therapy take to work?",
        }
    ).encode()
    request = urllib.request.Request(
        production["url"] + "/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.headers.get("X-Assistant-Error") is None
        reply = json.loads(response.read())
    texts = " ".join(m.get("text", "") for m in reply)
    buttons = [b["title"] for m in reply for b in m.get("buttons", [])]
    assert "Sources:" in texts  # the FAQ answer
    assert "not medical advice" in texts  # the safety note, from the action server
    assert "Book a visit" in buttons  # the referral prompt, from the action server
    work = Path(production["work"])
    for log in ("rasa.log", "actions.log"):
        text = (work / log).read_text(errors="replace")
        assert "Traceback" not in text and " ERROR " not in text, (log, text[-3000:])
