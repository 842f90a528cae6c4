"""`migrate plan|start|promote|abort|status`: move traffic from the legacy EC2 fleet to ECS, gated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated

import typer
from rich.table import Table

from macro_ai_deploy.aws.cloudwatch import AlarmState, minimum_bake
from macro_ai_deploy.durations import format_duration
from macro_ai_deploy.errors import Refused
from macro_ai_deploy.exitcodes import ExitCode
from macro_ai_deploy.migration import outcome
from macro_ai_deploy.migration.plan import DEFAULT_STEPS_TEXT, build_plan, step_states
from macro_ai_deploy.migration.run import alarm_topic, lease_for, run_migration
from macro_ai_deploy.migration.target import open_target
from macro_ai_deploy.rollout import Mode, Phase, Plan, Result, abort
from macro_ai_deploy.runtime import (
    EnvArg,
    Runtime,
    YesOpt,
    confirm_change,
    console,
    environment,
    runtime,
    say,
)
from macro_ai_deploy.status_report import gather
from macro_ai_deploy.views import event_line
from macro_ai_deploy.views_migrate import LivePanel, PlainLines
from macro_ai_deploy.views_status import render

app = typer.Typer(no_args_is_help=True, help="Move traffic from the legacy EC2 fleet to ECS, gated.")

StepsOpt = Annotated[str, typer.Option(help="ECS percentages, increasing, ending at 100.")]
BakeOpt = Annotated[str, typer.Option(help="Bake time per step.")]
IntervalOpt = Annotated[str, typer.Option(help="Gate check interval during a bake.")]
MinHealthyOpt = Annotated[
    int | None,
    typer.Option(help="Healthy ECS tasks required (default: the service's scaling minimum in the IaC)."),
]
CapTimeoutOpt = Annotated[str, typer.Option(help="How long to wait for ECS capacity before the first move.")]


def _report(result: Result, verb: str) -> None:
    style, head = outcome.headline(result, verb)
    console.print(f"[bold {style}]{head}[/]: ", end="")
    say(result.reason if result.held else f"{result.reason}; live weights: {result.final}")
    if result.writeback and not result.held:
        say(result.writeback)
    code = outcome.exit_code(result)
    if code != ExitCode.OK:
        raise typer.Exit(int(code))


def _run_rollout(
    ctx: typer.Context,
    env: str,
    mode: Mode,
    steps: str,
    bake: str,
    interval: str,
    min_healthy_tasks: int | None,
    capacity_timeout: str,
    steal: bool,
    yes: bool,
) -> None:
    rt = runtime(ctx)
    e = environment(env)
    confirm_change(rt, e, f"migrate ({mode.value})", yes)
    plan = build_plan(steps, bake, interval, min_healthy_tasks or 0, capacity_timeout)  # options first
    t = open_target(rt, e, min_healthy_tasks)
    plan = replace(plan, min_healthy_tasks=t.min_healthy_tasks)
    refuse_blind_bake(plan, t.gates.alarms.states(t.alarm_names))

    def show_plan(p: Plan, note: str) -> None:
        if note:
            say(note)
        say(
            f"{e.name}: {_intent(mode, p, live_ecs)}, bake {format_duration(p.bake_seconds)}"
            f", gates every {format_duration(p.check_interval_seconds)}, >= {p.min_healthy_tasks} healthy "
            f"ECS task(s), alarms: {', '.join(t.alarm_names) or 'none'}; moves the {t.router.moves}"
        )

    live_ecs = t.router.get_weights().ecs
    if console.is_terminal:
        panel = LivePanel(console, f"macro-deploy migrate {e.name}", rt.clock.now)

        def on_plan(p: Plan, note: str) -> None:
            panel.set_plan(p)
            show_plan(p, note)

        with panel:
            run = run_migration(rt, t, plan, mode, steal, panel, on_plan)
    else:
        lines = PlainLines(console)
        try:
            run = run_migration(rt, t, plan, mode, steal, lines, show_plan)
        finally:
            lines.close()
    if run.safety_net:
        console.print("[bold red]AWS-side safety net[/]: ", end="")
        say(", ".join(f"{k}: {v}" for k, v in run.safety_net.items()))
    if run.result.phase is Phase.HELD_NO_FALLBACK:
        _alert(rt, alarm_topic(t), f"macro-deploy migrate {e.name}", run.result.reason)
    _report(run.result, "migration")


def _intent(mode: Mode, plan: Plan, live_ecs: int) -> str:
    """What this run will do, in the words of its mode (never a list of steps it is going to skip)."""
    ahead = [s for s in plan.steps if s > live_ecs]
    if mode is Mode.HOLD:
        return f"pause at {live_ecs} % ECS (gating, not advancing)"
    if mode is Mode.PROMOTE:
        return f"promote {live_ecs} -> 100 % ECS"
    if mode is Mode.NEXT:
        return f"promote {live_ecs} -> {ahead[0]} % ECS (next step)" if ahead else "already at 100 % ECS"
    return f"steps {' -> '.join(map(str, [live_ecs, *ahead]))} % ECS"


def _alert(rt: Runtime, topic: str | None, subject: str, message: str) -> None:
    """Loud on purpose: the alarm topic pages whoever is on call, beside the red line on the terminal."""
    if not topic:
        return
    try:
        rt.aws.client("sns").publish(TopicArn=topic, Subject=subject[:100], Message=message)
        say(f"alert sent to {topic}")
    except Exception as exc:  # the exit code still says it; never hide the original problem
        say(f"could not send the alert to {topic}: {exc}")


# CloudWatch publishes a datapoint up to about a minute after its period ends
ALARM_LAG_SECONDS = 60.0


def refuse_blind_bake(plan: Plan, states: list[AlarmState]) -> None:
    """A bake shorter than the time an alarm needs to fire cannot see that alarm: refuse it."""
    need, slowest = minimum_bake(states, ALARM_LAG_SECONDS)
    if plan.bake_seconds < need:
        s = next(a for a in states if a.name == slowest)
        raise Refused(
            f"--bake {format_duration(plan.bake_seconds)} is too short to see alarm {slowest}: it fires "
            f"after {s.period}s x {s.datapoints} datapoint(s) + {ALARM_LAG_SECONDS:.0f}s publication lag = "
            f"{format_duration(need)}; bake at least that long"
        )


StealOpt = Annotated[
    bool, typer.Option(help="Take over the lease of a run whose heartbeat is stale (resumes its plan).")
]


FullOpt = Annotated[bool, typer.Option(help="Promote all the way to 100 % ECS (still gated and baked).")]


def _rollout_verb(doc: str, mode: Callable[[bool], Mode], full_flag: bool) -> Callable[..., None]:
    """`start` and `promote` take the same options and differ only in where they go: one declaration."""

    def command(
        ctx: typer.Context,
        env: EnvArg,
        steps: StepsOpt = DEFAULT_STEPS_TEXT,
        bake: BakeOpt = "10m",
        interval: IntervalOpt = "30s",
        min_healthy_tasks: MinHealthyOpt = None,
        capacity_timeout: CapTimeoutOpt = "10m",
        steal: StealOpt = False,
        full: FullOpt = False,
        yes: YesOpt = False,
    ) -> None:
        _run_rollout(
            ctx, env, mode(full), steps, bake, interval, min_healthy_tasks, capacity_timeout, steal, yes
        )

    command.__doc__ = doc
    if not full_flag:  # --full means something only to promote
        command.__annotations__["full"] = Annotated[bool, typer.Option(hidden=True)]
    return command


app.command("start")(
    _rollout_verb(
        "Start or resume the stepped migration from the LIVE weights (never jumps ahead).",
        lambda full: Mode.STEPPED,
        full_flag=False,
    )
)
app.command("promote")(
    _rollout_verb(
        "Move to the NEXT planned step now (gated, then baked) and stop; --full: all the way to 100 %.",
        lambda full: Mode.PROMOTE if full else Mode.NEXT,
        full_flag=True,
    )
)


@app.command("pause")
def migrate_pause(
    ctx: typer.Context,
    env: EnvArg,
    for_: Annotated[str, typer.Option("--for", help="How long to hold and keep gating.")] = "30m",
    interval: IntervalOpt = "30s",
    min_healthy_tasks: MinHealthyOpt = None,
    steal: StealOpt = False,
    yes: YesOpt = False,
) -> None:
    """Hold the live weights: keep gating (a failure still rolls back), never advance. Ctrl-C ends it (22)."""
    _run_rollout(ctx, env, Mode.HOLD, DEFAULT_STEPS_TEXT, for_, interval, min_healthy_tasks, "0s", steal, yes)


@app.command("plan")
def migrate_plan(
    ctx: typer.Context,
    env: EnvArg,
    steps: StepsOpt = DEFAULT_STEPS_TEXT,
    bake: BakeOpt = "10m",
    interval: IntervalOpt = "30s",
    min_healthy_tasks: MinHealthyOpt = None,
    capacity_timeout: CapTimeoutOpt = "10m",
) -> None:
    """Show the plan and where the live listener is in it (changes nothing)."""
    rt = runtime(ctx)
    e = environment(env)
    plan = build_plan(steps, bake, interval, min_healthy_tasks or 0, capacity_timeout)  # options first
    t = open_target(rt, e, min_healthy_tasks)
    plan = replace(plan, min_healthy_tasks=t.min_healthy_tasks)
    live = t.router.get_weights()
    table = Table(title=f"migration plan for {e.name} (live: {live})", title_justify="left")
    for col in ("step", "ECS %", "legacy %", "bake", "state"):
        table.add_column(col)
    for s in step_states(plan, live):
        state = "live (re-baked on start)" if s.state == "live" else s.state
        bake_text = format_duration(plan.bake_seconds) if s.ecs else "-"
        table.add_row(str(s.index), str(s.ecs), str(100 - s.ecs), bake_text, state)
    console.print(table)
    say(
        f"gates before each move and every {format_duration(plan.check_interval_seconds)} while baking:"
        f" alarms ({', '.join(t.alarm_names) or 'NONE: start will refuse'}), target health of both "
        f"target groups, >= {plan.min_healthy_tasks} healthy ECS task(s). Any failure: 100 % legacy."
    )


@app.command("abort")
def migrate_abort(
    ctx: typer.Context,
    env: EnvArg,
    force: Annotated[
        bool, typer.Option(help="Move traffic even when the legacy target group has no healthy targets.")
    ] = False,
    yes: YesOpt = False,
) -> None:
    """All traffic to the legacy target group NOW (no gate), then write the weights back to the stack.

    Refuses when the legacy target group has no healthy targets (that would be an outage) unless --force.
    """
    rt = runtime(ctx)
    e = environment(env)
    confirm_change(rt, e, "abort the migration (all traffic to legacy)", yes)
    t = open_target(rt, e, 0)
    before = t.router.get_weights()
    healthy = t.gates.legacy_healthy()
    if healthy < 1 and not before.is_all_legacy:
        if not force:
            raise Refused(
                f"the legacy target group has no healthy targets: moving {before} to legacy would send all "
                "traffic into an empty fleet; fix the legacy fleet first, or pass --force"
            )
        console.print("[bold red]--force[/]: the legacy target group has NO healthy targets")
    say(f"{e.name}: abort from {before} (legacy: {healthy} healthy target(s))")
    result = abort(t.router, t.store, rt.clock)
    for ev in result.events:
        console.print(event_line(ev))
    if result.phase is Phase.ROLLBACK_FAILED:
        console.print(f"[bold red]ABORT FAILED[/]: {result.reason}")
        raise typer.Exit(int(ExitCode.MIGRATION_ROLLBACK_FAILED))
    console.print(f"[bold]aborted[/]: live weights {t.router.get_weights()}; {result.writeback}")
    cleared = lease_for(rt, t).clear_if_dead(rt.utcnow().timestamp())
    if cleared:
        say(f"cleared the record of a dead run ({cleared}): nothing is left to resume")
    if result.writeback_failed:
        raise typer.Exit(int(ExitCode.MIGRATION_DRIFT))


@app.command("status")
def migrate_status(
    ctx: typer.Context,
    env: EnvArg,
    steps: StepsOpt = DEFAULT_STEPS_TEXT,
    check: Annotated[bool, typer.Option(help="Exit 27 when a gate fails or the migration is stuck.")] = False,
) -> None:
    """The verdict, traffic per fleet, the gates now, the run holding the lease, and the next step."""
    rt = runtime(ctx)
    e = environment(env)
    plan = build_plan(steps, "0s", "1s", 0, "0s")
    report = gather(rt, e)
    for line in render(report):
        console.print(line)
    if report.run_steps:  # a run's own plan, not the options' (or the default) one
        plan = replace(plan, steps=tuple(report.run_steps))
    ecs = report.ecs_weight
    if ecs is not None:
        nxt = plan.next_step(ecs)
        say(f"next step: {nxt} % ECS" if nxt is not None else "at 100 % ECS: migration complete")
    if check and not report.ok:
        raise typer.Exit(int(ExitCode.MIGRATION_GATE_FAILING))
