"""A private PostgreSQL server for the scale tests, which restart it: never the shared one on 5432.

It is a throwaway cluster made with the installed server's own `initdb` and run with `pg_ctl` on a free port of
127.0.0.1, its data and socket in a temporary folder. PostgreSQL refuses to run as root, so when the tests run as
root the cluster belongs to the `postgres` OS user and every command runs through `runuser -u postgres --`.
fsync is off: the tests restart the server cleanly (`pg_ctl restart -m fast`) or kill it, and never need the data
to survive a power cut.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2


class PostgresUnavailable(RuntimeError):
    """Raised when no private PostgreSQL server can be made here (no binaries, or no user to run it as)."""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise PostgresUnavailable("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """A PostgreSQL cluster of our own: `start()`, `url(database)`, `restart()`, `stop()`."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                pwd.getpwnam("postgres")
            except KeyError as error:
                raise PostgresUnavailable("running as root, and no postgres OS user to own a cluster") from error
        # Not under pytest's tmp_path: that is private to root, and the postgres user must reach the folder.
        self.directory = Path(tempfile.mkdtemp(prefix="tl-scale-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.port = _free_port()
        if self.as_root:
            shutil.chown(self.directory, "postgres", "postgres")

    def _run(self, *command: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        full = ["runuser", "-u", "postgres", "--", *command] if self.as_root else list(command)
        result = subprocess.run(full, capture_output=True, text=True, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(command[:2])} failed: {result.stderr.strip() or result.stdout}")
        return result

    def start(self) -> PrivatePostgres:
        """Create the cluster (first call) and start the server; return self once it accepts connections."""
        if not (self.data / "PG_VERSION").exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._run(*self._pg_ctl("start"), "-w", "-t", "60", "-l", str(self.log))
        return self

    def _pg_ctl(self, action: str) -> list[str]:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += " -c max_connections=200"
        return [str(self.bin / "pg_ctl"), action, "-D", str(self.data), "-o", options]

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: roll back open transactions and disconnect everyone; `immediate`: crash)."""
        self._run(str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", mode, "-w", check=False)

    def restart(self, down_seconds: float = 0.0) -> float:
        """Stop the server fast, keep it down for `down_seconds`, start it; return seconds until it answers."""
        self.stop("fast")
        time.sleep(down_seconds)
        started = time.monotonic()
        self._run(*self._pg_ctl("start"), "-w", "-t", "60", "-l", str(self.log))
        return time.monotonic() - started

    def is_running(self) -> bool:
        """Return whether the server accepts connections."""
        try:
            psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres").close()
        except psycopg2.OperationalError:
            return False
        return True

    def create_database(self, name: str) -> str:
        """Create database `name`; return its SQLAlchemy URL."""
        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.url(name)

    def url(self, database: str) -> str:
        """Return the SQLAlchemy URL of `database` on this server."""
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)
