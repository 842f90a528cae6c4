"""The open-model load generator: `python -m macro_ai_deploy.rehearsal.load ...` (a process of its own).

Requests are scheduled by the clock at a fixed rate, never by responses: request i is due at t0 + i/rate
and starts then whether or not earlier ones have answered, and its latency is measured from when it was
due (no coordinated omission). Signed-in users mix health, chat listing, chat creation, renames and
streamed replies. Every request becomes one record (see `Record`); the run ends on SIGTERM/SIGINT, waits
for what is in flight and writes the records as JSON lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from macro_ai_deploy.rehearsal.haproxy import SERVER_HEADER, fleet_of
from macro_ai_deploy.rehearsal.http1 import Client, ProtocolError, Response

MIX = (("health", 25), ("list", 35), ("create", 10), ("rename", 15), ("stream", 15))
STREAM_FILLER = "please answer slowly with every word of this line"
PASSWORD = "Rehearsal-Pass-9"  # noqa: S105 - throwaway users of the local emulator
IN_FLIGHT_GRACE_SECONDS = 90


def stream_message(marker: str) -> str:
    return f"{marker} {STREAM_FILLER}"


def reply_words() -> int:
    """Words in the offline provider's reply to one stream message (it echoes the message)."""
    sample = "[offline provider: no model was called] You said: " + stream_message("m-0")
    return len(sample.split())


@dataclass
class Record:
    due: float  # monotonic time the request was scheduled for
    kind: str
    status: int  # 0 = no HTTP response (connection refused, reset, timeout)
    latency: float  # seconds from `due` to the end of the body
    server: str  # the HAProxy server that answered (header), "" if none
    fleet: str
    error: str = ""
    stream_complete: bool | None = None
    chat_id: str = ""
    title: str = ""  # create/rename: the title written
    marker: str = ""  # stream: the marker of the user message written


@dataclass
class User:
    headers: dict[str, str]
    chats: list[str] = field(default_factory=list)
    renaming: set[str] = field(default_factory=set)


class LoadRun:
    def __init__(self, url: str, api_key: str, rate: float, users: int) -> None:
        self.url, self.api_key, self.rate, self.user_count = url, api_key, rate, users
        self.users: list[User] = []
        self.records: list[Record] = []
        self.setup_titles: dict[str, str] = {}
        self.stopping = asyncio.Event()

    async def sign_up(self, client: Client, index: int) -> User:
        email = f"rehearsal-{uuid.uuid4().hex[:10]}-{index}@example.com"
        key = {"X-API-KEY": self.api_key}
        body = {"email": email, "password": PASSWORD, "confirmPassword": PASSWORD}
        for path, payload in (
            ("/api/auth/register", body),
            ("/api/auth/confirm-registration", {"email": email, "code": "012345"}),
            ("/api/auth/login", {"email": email, "password": PASSWORD}),
        ):
            response = await client.request("POST", path, json_body=payload, headers=key)
            if response.status >= 300:
                raise SetupError(f"{path} answered {response.status}: {response.body[:200]!r}")
        user = User({**key, "Authorization": f"Bearer {response.json()['tokens']['accessToken']}"})
        for _ in range(3):
            title = f"setup-{uuid.uuid4().hex[:12]}"
            created = await client.request(
                "POST", "/api/chats", json_body={"title": title}, headers=user.headers
            )
            if created.status != 201:
                raise SetupError(f"creating a chat answered {created.status}")
            chat_id = created.json()["data"]["id"]
            user.chats.append(chat_id)
            self.setup_titles[chat_id] = title
        return user

    async def one(self, client: Client, due: float, kind: str) -> None:
        user = random.choice(self.users)  # noqa: S311
        rec = Record(due=due, kind=kind, status=0, latency=0.0, server="", fleet="none")
        try:
            if kind == "health":
                response = await client.request("GET", "/api/health")
            elif kind == "list":
                response = await client.request("GET", "/api/chats?limit=20", headers=user.headers)
            elif kind == "create":
                rec.title = f"c-{uuid.uuid4().hex}"
                response = await client.request(
                    "POST", "/api/chats", json_body={"title": rec.title}, headers=user.headers
                )
                if response.status == 201:
                    rec.chat_id = response.json()["data"]["id"]
                    user.chats.append(rec.chat_id)
            elif kind == "rename":
                free = [c for c in user.chats if c not in user.renaming]
                if not free:
                    rec.kind = "list"
                    response = await client.request("GET", "/api/chats?limit=20", headers=user.headers)
                else:
                    rec.chat_id, rec.title = random.choice(free), f"r-{uuid.uuid4().hex}"  # noqa: S311
                    user.renaming.add(rec.chat_id)
                    try:
                        response = await client.request(
                            "PUT",
                            f"/api/chats/{rec.chat_id}",
                            json_body={"title": rec.title},
                            headers=user.headers,
                        )
                    finally:
                        user.renaming.discard(rec.chat_id)
            else:
                response = await self.stream(client, user, rec)
            rec.status = response.status
            rec.server = response.headers.get(SERVER_HEADER.lower(), "")
            if (
                kind == "stream" and rec.status == 200
            ):  # complete: the whole reply, and the body ended cleanly
                text = response.body.decode(errors="replace").rstrip()
                rec.stream_complete = text.endswith(stream_message(rec.marker))
        except (
            OSError,
            TimeoutError,
            ProtocolError,
            asyncio.IncompleteReadError,
            ValueError,
            KeyError,
        ) as exc:
            rec.error = f"{type(exc).__name__}: {exc}"[:200]
            if rec.status == 200 and kind == "stream":
                rec.stream_complete = False
        finally:
            rec.fleet = fleet_of(rec.server) if rec.server else "none"
            rec.latency = time.monotonic() - due
            self.records.append(rec)

    async def stream(self, client: Client, user: User, rec: Record) -> Response:
        rec.chat_id = random.choice(user.chats)  # noqa: S311
        rec.marker = f"m-{uuid.uuid4().hex}"
        body = {"messages": [{"role": "user", "content": stream_message(rec.marker)}]}

        def first_chunk(_: bytes) -> None:
            rec.status = 200  # the reply started: a later failure is a cut stream

        return await client.request(
            "POST",
            f"/api/chats/{rec.chat_id}/stream",
            json_body=body,
            headers=user.headers,
            on_chunk=first_chunk,
        )

    async def run(self, ready_file: Path) -> None:
        host, _, port = self.url.removeprefix("http://").partition(":")
        client = Client(host, int(port))
        self.users = list(await asyncio.gather(*(self.sign_up(client, i) for i in range(self.user_count))))
        kinds = [k for k, _ in MIX]
        weights = [w for _, w in MIX]
        t0 = time.monotonic()
        ready_file.write_text(json.dumps({"t0": t0, "setup_titles": self.setup_titles}))  # noqa: ASYNC240
        tasks: set[asyncio.Task[None]] = set()
        i = 0
        while not self.stopping.is_set():
            due = t0 + i / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(self.stopping.wait(), delay)
                    break
                except TimeoutError:
                    pass
            kind = random.choices(kinds, weights)[0]  # noqa: S311
            task = asyncio.create_task(self.one(client, due, kind))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
        if tasks:
            await asyncio.wait(tasks, timeout=IN_FLIGHT_GRACE_SECONDS)
        client.close()


class SetupError(Exception):
    pass


def load_records(path: Path) -> list[Record]:
    return [Record(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="open-model load for the rehearsal")
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--ready-file", type=Path, required=True)
    args = parser.parse_args(argv)
    api_key = sys.stdin.readline().strip()  # the key comes on stdin, never on the command line
    run = LoadRun(args.url, api_key, args.rate, args.users)

    async def go() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, run.stopping.set)
        await run.run(args.ready_file)

    try:
        asyncio.run(go())
    except (SetupError, OSError, ProtocolError, TimeoutError) as exc:
        print(f"load: setting up the users failed: {exc}", file=sys.stderr)
        return 1
    with args.out.open("w") as out:
        for rec in run.records:
            out.write(json.dumps(asdict(rec)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
