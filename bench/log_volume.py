"""The bytes the API logs per request, its memory and its start-up CPU, measured on a real process.

`macro-deploy cost` prices CloudWatch Logs ingestion with these bytes (docs/capacity.json,
`log_bytes_per_request`). The server's stdout (the access log line, the once-a-minute metric documents
and any other line) goes to a file; the growth of that file over a run divided by the requests served is
the figure. Run alone (`python bench/log_volume.py`) it starts the API like the `chats` benchmark, serves
200 signed-in GET /api/chats one after another, and prints the bytes per request, the resident memory
and the CPU the start-up took.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import harness

ACCESS_LINE = b'"message":"request"'  # the access log's line (api/src/macro_ai/web/access_log.py)


@dataclass(frozen=True)
class LogVolume:
    requests: int  # access lines written in the window
    log_bytes: int  # everything written in the window

    @property
    def per_request(self) -> float:
        if self.requests <= 0:
            raise ValueError("no requests logged: no bytes per request")
        return self.log_bytes / self.requests


class LogMeter:
    """What a process appended to its log file between start() and stop(), per request it logged.

    The server's stdout is a block-buffered file, so the client's count and the file disagree by what sits
    in the buffer at either end; counting the access lines that did land keeps bytes and requests from the
    same window (the error is under one line, against the thousands of requests a benchmark serves).
    """

    def __init__(self, log: Path) -> None:
        self.log = log
        self._start = 0

    def size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def start(self) -> None:
        self._start = self.size()

    def stop(self) -> LogVolume:
        with self.log.open("rb") as file:
            file.seek(self._start)
            window = file.read()
        return LogVolume(window.count(ACCESS_LINE), len(window))


def metric_document_bytes(log: Path) -> float | None:
    """Mean size (newline included) of the embedded-metric documents in a log: one per route a minute."""
    sizes = [len(line) for line in log.read_bytes().splitlines(keepends=True) if line.startswith(b'{"_aws"')]
    return sum(sizes) / len(sizes) if sizes else None


def memory_kib(pid: int) -> tuple[int, int]:
    """(resident now, peak resident) of a process in KiB (Linux /proc)."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def in_cgroup(command: list[str], cgroup: Path | None) -> list[str]:
    """The command started inside a CPU-limited cgroup (its cgroup.procs), e.g. one with a quota of a
    quarter core, to see start-up and memory as a 0.25 vCPU task would."""
    if cgroup is None:
        return command
    return ["sh", "-c", f'echo $$ > {cgroup / "cgroup.procs"} && exec "$@"', "sh", *command]


def main(requests: int = 200, burst_seconds: int = 5, cgroup: Path | None = None) -> list[str]:
    import bench_chats
    import httpx
    from macro_ai_devstack.testing import free_port

    with harness.emulated_cognito() as pool, harness.database() as url:
        port = free_port()
        environment = harness.emulated_cognito_environment(
            url, pool.environment(), port, AI_PROVIDER="offline"
        )
        started = time.monotonic()
        command = in_cgroup([harness.macro_ai(), "serve"], cgroup)
        with harness.server(command, environment, port, "/api/health/ready") as api:
            ready_seconds = time.monotonic() - started
            startup_cpu = harness.cpu_seconds(api.pid)
            client = httpx.Client(base_url=api.url, headers={"X-API-KEY": harness.API_KEY}, timeout=30)
            # The feature routes load after readiness (macro_ai.feature_loader): their first answer.
            assert client.get("/api/chats").status_code == 401
            full_seconds = time.monotonic() - started
            auth = {"Authorization": f"Bearer {bench_chats.sign_in(client)}"}
            for i in range(100):
                client.post("/api/chats", json={"title": f"chat {i}"}, headers=auth).raise_for_status()
            meter = LogMeter(api.log)
            meter.start()
            for _ in range(requests):
                client.get("/api/chats", headers=auth).raise_for_status()
            volume = meter.stop()
            # Then 50 connections at once for a few seconds: the resident peak under concurrency.
            burst = harness.wrk(
                api, "/api/chats", {"X-API-KEY": harness.API_KEY, **auth}, seconds=burst_seconds
            )
            rss, peak = memory_kib(api.pid)
    document = metric_document_bytes(api.log)  # the last flush happens at shutdown
    return [
        "| measure | value |",
        "|---|---|",
        f"| log bytes per signed-in GET /api/chats ({volume.requests} of {requests} requests logged, "
        f"access log on) "
        f"| {volume.per_request:.0f} |",
        f"| resident memory after {burst.requests} more requests on {harness.CONNECTIONS} connections "
        f"/ peak, MiB | {rss / 1024:.0f} / {peak / 1024:.0f} |",
        f"| metric document (one per route and minute), mean bytes | {document or 0:.0f} |",
        f"| start to ready: wall s here / CPU s of the server | {ready_seconds:.2f} / {startup_cpu:.2f} |",
        f"| start to a feature route's first answer (GET /api/chats, 401), wall s | {full_seconds:.2f} |",
        f"| start-up CPU on 0.25 vCPU (CPU s / 0.25), s | {startup_cpu / 0.25:.1f} |",
        f"| machine | {os.uname().machine}, {os.cpu_count()} cores"
        f"{f', server in cgroup {cgroup}' if cgroup else ''} |",
    ]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    # --cgroup DIR: run the server in that (already made, CPU-limited) cgroup, e.g. on cgroup v1:
    #   mkdir /sys/fs/cgroup/cpu/quarter && echo 25000 > /sys/fs/cgroup/cpu/quarter/cpu.cfs_quota_us
    arguments = sys.argv[1:]
    print("\n".join(main(cgroup=Path(arguments[1]) if arguments[:1] == ["--cgroup"] else None)))
