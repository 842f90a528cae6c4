"""The migration lease: the record's rules in memory (hypothesis: two runs never both hold it), and on the
moto server through the CLI (a second start is refused while a run is live; a dead run is resumed with
--steal on its stored plan and its stored scaling minimum)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from macro_ai_contract.outputs import migration_record_parameter
from macro_ai_deploy.aws.records import SsmRecord
from macro_ai_deploy.migration.lease import Lease, LeaseHeld, RecordStore, RunRecord, StoredPlan, parse
from macro_ai_deploy.rollout import Plan


class MemoryRecord:
    """A RecordStore with Parameter Store's semantics: create-if-absent is atomic."""

    def __init__(self) -> None:
        self.value: str | None = None

    def create(self, value: str) -> bool:
        if self.value is not None:
            return False
        self.value = value
        return True

    def read(self) -> str | None:
        return self.value

    def put(self, value: str) -> None:
        self.value = value

    def delete(self) -> None:
        self.value = None


class ReadBefore:
    """The shared record, except that the first read returns it as it was when this view was made."""

    def __init__(self, shared: RecordStore) -> None:
        self.shared, self.earlier = shared, shared.read()

    def create(self, value: str) -> bool:
        return self.shared.create(value)

    def read(self) -> str | None:
        earlier, self.earlier = self.earlier, None
        return earlier if earlier is not None else self.shared.read()

    def put(self, value: str) -> None:
        self.shared.put(value)

    def delete(self) -> None:
        self.shared.delete()


PLAN = Plan(check_interval_seconds=30)

ops = st.lists(
    st.tuples(
        st.sampled_from(["acquire", "steal", "beat", "release", "hold", "wait"]),
        st.integers(0, 2),
        st.floats(0, 200, allow_nan=False),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(program=ops)
def test_two_runs_never_both_hold_the_lease(program):
    store = MemoryRecord()
    runs = [Lease(store, f"run{i}") for i in range(3)]
    now = 0.0
    for op, i, dt in program:
        lease = runs[i]
        if op == "wait":
            now += dt
        elif op in ("acquire", "steal") and lease.record is None:
            with contextlib.suppress(LeaseHeld):
                lease.acquire(PLAN, 0, 1, now, "stepped", steal=op == "steal")
        elif op == "beat":
            lease.beat(10, now)
        elif op == "release":
            lease.release()
        elif op == "hold":
            lease.hold(10, now)
        holders = [r for r in runs if r.record is not None and r.record.is_live(now)]
        assert len(holders) <= 1, [r.owner for r in holders]
        # and the store agrees with the one live holder
        for r in holders:
            current, _ = parse(store.read())
            assert current is not None
            assert current.run_id == r.record.run_id


@pytest.fixture(params=["in memory", "Parameter Store (moto)"])
def record(request: pytest.FixtureRequest) -> RecordStore:
    if request.param == "in memory":
        return MemoryRecord()
    return SsmRecord(request.getfixturevalue("aws_client")("ssm"), "/macro-ai/test/migration-record")


def test_two_runs_taking_over_the_same_dead_run_do_not_both_win(record: RecordStore):
    """Both read the dead record; the second deletes the first's fresh record and creates its own while
    the first settles. Create-if-absent alone let both hold the lease; the read after the settle does not."""
    store = record
    Lease(store, "dead").acquire(PLAN, 0, 1, 0.0, "stepped", steal=False)
    later = 1000.0  # long past the dead run's heartbeat
    second = Lease(ReadBefore(store), "second")  # it read the dead record before the first's create
    first = Lease(store, "first", settle=lambda: second.acquire(PLAN, 0, 1, later, "stepped", steal=True))

    with pytest.raises(LeaseHeld, match="at the same moment"):
        first.acquire(PLAN, 0, 1, later, "stepped", steal=True)
    assert first.record is None
    assert second.record is not None
    current, _ = parse(store.read())
    assert current is not None
    assert current.run_id == second.record.run_id


def test_safety_net_note_survives_heartbeats():
    store = MemoryRecord()
    lease = Lease(store, "me")
    lease.acquire(PLAN, 0, 1, 0.0, "stepped", steal=False)
    doc = json.loads(store.value)
    doc["safetyNet"] = {"reason": "macro-ai-hobby-5xx ALARM", "at": "2026-11-29T12:00:00Z"}
    store.put(json.dumps(doc))
    assert lease.beat(25, 10.0)
    assert json.loads(store.value)["safetyNet"]["reason"] == "macro-ai-hobby-5xx ALARM"
    assert json.loads(store.value)["step"] == 25


# ------------------------------------------------------------------------------------------ on moto
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC).timestamp()  # the cli fixture's utcnow


def write_record(aws_client, world, **overrides):
    rec = RunRecord(
        run_id="deadbeef" * 4,
        owner="alice@laptop pid 4242",
        plan=StoredPlan((0, 50, 100), 120.0, 30.0, 2),
        started_at=NOW - 900,
        heartbeat=NOW - 5,
        stale_after=90.0,
        step=50,
        original_minimum=1,
    )
    data = rec.to_json() | overrides
    aws_client("ssm").put_parameter(
        Name=migration_record_parameter(world.stack), Value=json.dumps(data), Type="String", Overwrite=True
    )


def test_a_second_start_is_refused_while_a_run_is_live(world, cli, clock, aws_client):
    from macro_ai_deploy.cli import Runtime

    second: dict[str, object] = {}

    def another_operator(t):
        if world.listener_weights()["ecs"] == 10 and "result" not in second:
            name = migration_record_parameter(world.stack)
            second["record"] = json.loads(aws_client("ssm").get_parameter(Name=name)["Parameter"]["Value"])
            rt = Runtime(clock=clock, cfn_poll_seconds=0.0, owner="bob", utcnow=cli.runtime.utcnow)
            second["result"] = type(cli)(rt)("migrate", "start", "hobby", "--bake", "2m")

    clock.hooks.append(another_operator)
    r = cli("migrate", "start", "hobby", "--bake", "2m", "--interval", "30s")
    assert r.exit_code == 0, r.all_output
    b = second["result"]
    assert b.exit_code == 26, b.all_output
    assert "another migration holds the lease" in b.stderr
    # the live run's record: who, which plan, the step it reached
    assert second["record"]["step"] == 10
    assert second["record"]["plan"]["steps"] == [0, 10, 25, 50, 100]
    assert second["record"]["originalMinimum"] == 1
    # the first run finished alone and released the lease
    assert world.listener_weights() == {"legacy": 0, "ecs": 100}
    ssm = aws_client("ssm")
    assert not ssm.get_parameters(Names=[migration_record_parameter(world.stack)])["Parameters"]


def test_a_dead_run_is_resumed_with_steal_on_its_stored_plan_and_minimum(world, cli, clock, aws_client):
    world.set_weights(50)
    o = world.outputs
    aas = aws_client("application-autoscaling")
    # the dead run had raised the minimum to 2; the IaC says 1 (stored in its record)
    aas.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/{o['ClusterName']}/api",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2,
        MaxCapacity=4,
    )
    write_record(aws_client, world, heartbeat=NOW - 600)  # SIGKILLed ten minutes ago
    refused = cli("migrate", "start", "hobby")
    assert refused.exit_code == 26, refused.all_output
    assert "--steal" in refused.stderr

    seen: list[int] = []
    clock.hooks.append(lambda t: seen.append(world.listener_weights()["ecs"]))
    r = cli("migrate", "start", "hobby", "--steal", "--steps", "0,10,20,30,100")
    assert r.exit_code == 0, r.all_output
    assert "its stored plan applies" in r.stdout
    assert sorted(set(seen)) == [50, 100]  # the stored plan 0,50,100, not the options' steps
    t = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[f"service/{o['ClusterName']}/api"])
    assert t["ScalableTargets"][0]["MinCapacity"] == 1  # the stored minimum, not today's raised 2


def test_abort_clears_a_dead_runs_record_but_not_a_live_one(world, cli, aws_client):
    name = migration_record_parameter(world.stack)
    write_record(aws_client, world)  # live: heartbeat 5 s ago
    r = cli("migrate", "abort", "hobby")
    assert r.exit_code == 0, r.all_output
    assert aws_client("ssm").get_parameters(Names=[name])["Parameters"]  # the live run releases it itself
    write_record(aws_client, world, heartbeat=NOW - 600)
    r = cli("migrate", "abort", "hobby")
    assert r.exit_code == 0, r.all_output
    assert "cleared the record of a dead run" in r.stdout
    assert not aws_client("ssm").get_parameters(Names=[name])["Parameters"]
    status = cli("status", "hobby")
    assert "STUCK" not in status.stdout


def test_an_interrupted_run_is_resumed_by_the_next_start_on_its_plan(world, cli, clock, aws_client):
    def ctrl_c(t):
        if world.listener_weights()["ecs"] == 50:
            raise KeyboardInterrupt

    clock.hooks.append(ctrl_c)
    r = cli("migrate", "start", "hobby", "--steps", "0,50,100", "--bake", "2m")
    assert r.exit_code == 22, r.all_output
    clock.hooks.clear()
    status = cli("migrate", "status", "hobby")
    assert status.stdout.startswith("hobby: HELD: run")
    assert "next step: 100 % ECS" in status.stdout  # from the run's own plan, not the default 0,10,25,50,100
    seen: list[int] = []
    clock.hooks.append(lambda t: seen.append(world.listener_weights()["ecs"]))
    resumed = cli("migrate", "start", "hobby")  # no --steal needed, no --steps: the stored plan applies
    assert resumed.exit_code == 0, resumed.all_output
    assert sorted(set(seen)) == [50, 100]
