"""Running tasks over a week: the load's busy hours against the scaling bounds and their schedules.

A week is simulated minute by minute (10,080 steps): at each minute the bounds in force are those of the
last scheduled action that fired (the week wraps, so Friday night's action holds through the weekend), and
the tasks running are the ones the load needs, kept within those bounds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from macro_ai_contract.sizing import tasks_needed

from macro_ai_deploy.cost.data import CostDataError, Load
from macro_ai_deploy.cost.inventory import ScheduledAction

MINUTES_PER_WEEK = 7 * 24 * 60
DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_CRON = re.compile(r"cron\((\S+) (\S+) (\S+) (\S+) (\S+)(?: (\S+))?\)")


def _field(text: str, names: tuple[str, ...], low: int, high: int, where: str) -> set[int]:
    """Values of one cron field: *, ?, numbers, names, ranges a-b and lists a,b."""
    if text in ("*", "?"):
        return set(range(low, high + 1))

    def value(token: str) -> int:
        if token.upper() in names:
            return names.index(token.upper()) + low
        if token.isdigit() and low <= int(token) <= high:
            return int(token)
        raise CostDataError(f"{where}: cannot read {token!r} in the schedule")

    values: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        values.update(range(value(first), value(last or first) + 1))
    return values


def action_minutes(action: ScheduledAction) -> list[int]:
    """Minutes of the week (Monday 00:00 UTC = 0) at which a weekly cron action fires."""
    where = f"scheduled action {action.name} ({action.schedule})"
    match = _CRON.fullmatch(action.schedule.strip())
    if not match:
        raise CostDataError(f"{where}: only weekly cron(...) schedules are modelled")
    minute, hour, day_of_month, month, week_day = match.groups()[:5]
    if day_of_month not in ("*", "?") or month not in ("*", "?"):
        raise CostDataError(f"{where}: only weekly cron(...) schedules are modelled")
    # Application Auto Scaling numbers days 1 (SUN) .. 7 (SAT); names map onto our Monday-first week.
    cron_days = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
    days = {DAYS.index(cron_days[d - 1]) for d in _field(week_day, cron_days, 1, 7, where)}
    return sorted(
        d * 1440 + h * 60 + m
        for d in days
        for h in _field(hour, (), 0, 23, where)
        for m in _field(minute, (), 0, 59, where)
    )


def busy_minutes(load: Load) -> list[bool]:
    busy = [False] * MINUTES_PER_WEEK
    for day in range(load.days_per_week):
        start = day * 1440 + load.start_hour_utc * 60
        for offset in range(load.hours_per_day * 60):
            busy[(start + offset) % MINUTES_PER_WEEK] = True
    return busy


@dataclass(frozen=True)
class Week:
    average_tasks: float  # mean running tasks over the week
    peak_tasks: int
    needed_peak: int  # tasks the peak load needs with headroom (may exceed the maximum)
    capped: bool  # the load needed more tasks than the maximum allowed at some time
    zero_share: float  # share of the week with no task running
    minutes_at: dict[int, int]  # running tasks -> minutes of the week (for the on-demand/Spot split)


def simulate(
    *,
    min_capacity: int,
    max_capacity: int,
    schedules: tuple[ScheduledAction, ...],
    load: Load,
    per_task_rps: float,
    headroom_percent: float,
    stop_when_quiet: bool = False,
    requests_per_target_minute: float | None = None,
) -> Week:
    events: dict[int, ScheduledAction] = {}
    for action in schedules:
        for minute in action_minutes(action):
            events[minute] = action
    bounds = [min_capacity, max_capacity]
    busy = busy_minutes(load)

    def need(rps: float) -> int:
        # Target tracking on requests per target scales out at its target even when CPU would not.
        by_requests = (
            0 if not requests_per_target_minute else math.ceil(rps * 60 / requests_per_target_minute)
        )
        return max(tasks_needed(rps, per_task_rps, headroom_percent), by_requests)

    need_busy = need(load.requests_per_second)
    need_quiet = need(load.quiet_requests_per_second)
    total = zero = peak = 0
    capped = False
    minutes_at: dict[int, int] = {}
    # Two passes: the first settles the bounds Sunday night leaves in force on Monday morning.
    for week in range(2):
        for minute in range(MINUTES_PER_WEEK):
            fired = events.get(minute)
            if fired is not None:
                bounds = [
                    bounds[0] if fired.min_capacity is None else int(fired.min_capacity),
                    bounds[1] if fired.max_capacity is None else int(fired.max_capacity),
                ]
            if week == 0:
                continue
            wanted = need_busy if busy[minute] else need_quiet
            floor = 0 if stop_when_quiet and not busy[minute] and wanted == 0 else bounds[0]
            running = min(bounds[1], max(floor, wanted))
            capped = capped or wanted > bounds[1]
            total += running
            minutes_at[running] = minutes_at.get(running, 0) + 1
            zero += running == 0
            peak = max(peak, running)
    return Week(total / MINUTES_PER_WEEK, peak, need_busy, capped, zero / MINUTES_PER_WEEK, minutes_at)
