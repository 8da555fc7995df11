"""Throw-away PostgreSQL and Redis servers for tests (never the machine's own).

Each server gets a temporary folder and a free loopback port, and is removed
at the end. Tests skip, saying what to install, only when the binaries are
missing (PG_BIN may point at PostgreSQL's bin folder).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.live import free_port

PG_MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install "
    "PostgreSQL (Debian/Ubuntu: `sudo apt-get install postgresql`, macOS: "
    "`brew install postgresql@15`) or set PG_BIN to the folder that holds them"
)
REDIS_MISSING = (
    "redis-server not found on PATH: install Redis (Debian/Ubuntu: "
    "`sudo apt-get install redis-server`, macOS: `brew install redis`)"
)
PG_TOOLS = ("initdb", "pg_ctl", "postgres")


def find_pg_bin() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, newest version first."""
    candidates: list[Path] = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]))
    if shutil.which("pg_ctl"):
        candidates.append(Path(shutil.which("pg_ctl")).parent)  # type: ignore[arg-type]
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(
        versions, key=lambda p: int("0" + p.parent.name.split(".")[0])
    )[::-1]
    candidates += [Path("/usr/local/pgsql/bin"), Path("/opt/homebrew/bin")]
    for folder in candidates:
        if all((folder / tool).is_file() for tool in PG_TOOLS):
            return folder
    return None


def find_redis() -> str | None:
    return shutil.which("redis-server")


class PostgresServer:
    """initdb + pg_ctl in a temporary folder; trust auth on 127.0.0.1 only."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pt-assistant-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.user = self.group = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            account = _unprivileged_account()
            self.user, self.group = account.pw_uid, account.pw_gid
            os.chown(self.dir, account.pw_uid, account.pw_gid)

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            user=self.user,
            group=self.group,
            cwd=self.dir,
            check=True,
            capture_output=True,
            timeout=timeout,
        )

    def init(self) -> PostgresServer:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--no-sync",
        )  # fmt: skip
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=100"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        import psycopg2

        connection = psycopg2.connect(self.url())
        try:
            connection.autocommit = True
            connection.cursor().execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()

    def cleanup(self) -> None:
        try:
            if self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def _unprivileged_account() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no 'postgres' or 'nobody' account")


class RedisServer:
    """redis-server without persistence on a free loopback port."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pt-assistant-redis-"))
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> None:
        self.process = subprocess.Popen(
            [
                self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.dir),
                "--logfile", str(self.dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.dir}/redis.log")
            try:
                if client.ping():
                    return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server not ready after {timeout}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
