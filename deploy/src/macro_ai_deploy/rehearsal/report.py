"""The report: `report.md` (a summary per scenario) and `timeline.png` (weights, rate per fleet, errors and
p99 over time) in the run's folder."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from macro_ai_deploy.rehearsal.analysis import failure_cause, percentile, summarize
from macro_ai_deploy.rehearsal.harness import ScenarioResult
from macro_ai_deploy.rehearsal.stage import Sample

FLEET_COLOURS = {"legacy": "tab:blue", "ecs": "tab:orange", "none": "tab:gray"}


def _steps(result: ScenarioResult, samples: list[Sample]) -> list[tuple[float, float, str]]:
    """(start, end, label) of each stretch of constant weights during the scenario."""
    spans: list[tuple[float, float, str]] = []
    for s in samples:
        if not result.start <= s.at <= result.end or s.weights is None:
            continue
        label = f"{s.weights.ecs}% ECS"
        if spans and spans[-1][2] == label:
            spans[-1] = (spans[-1][0], s.at, label)
        else:
            spans.append((s.at, s.at, label))
    return spans


def scenario_markdown(result: ScenarioResult, samples: list[Sample]) -> str:
    s = summarize(result.records)
    lines = [f"## {result.name}: {'PASSED' if result.ok else 'FAILED'}", ""]
    if result.error:
        lines += [f"**Error:** {result.error}", ""]
    lines += ["| promise | kept | detail |", "|---|---|---|"]
    lines += [f"| {p.name} | {'yes' if p.ok else '**NO**'} | {p.detail} |" for p in result.promises]
    lines += ["", f"- requests: {s.requests}, failed: {s.failed}, streams: {s.streams}, cut: {s.cut_streams}"]
    for name, value in result.figures.items():
        lines.append(f"- {name}: {value}")
    if result.writes is not None:
        lines.append(
            f"- writes acknowledged: {result.writes.acknowledged}, found in PostgreSQL: {result.writes.found}"
        )
        lines += [f"  - missing: {m}" for m in result.writes.missing[:10]]
    if s.causes:
        lines.append("- failures by cause: " + ", ".join(f"{c}: {n}" for c, n in s.causes.most_common()))
    lines += ["", "| fleet | requests (no streams) | p50 | p99 |", "|---|---|---|---|"]
    lines += [
        f"| {f} | {n} | {p50 * 1000:.0f} ms | {p99 * 1000:.0f} ms |"
        for f, (n, p50, p99) in s.per_fleet.items()
    ]
    spans = _steps(result, samples)
    if spans:
        lines += [
            "",
            "| step (observed weights) | from | to | requests | failed | p50 | p99 |",
            "|---|---|---|---|---|---|---|",
        ]
        for start, end, label in spans:
            inside = [r for r in result.records if start <= r.due <= end]
            lat = [r.latency for r in inside if r.kind != "stream"]
            failed = sum(1 for r in inside if failure_cause(r))
            lines.append(
                f"| {label} | {start - result.start:.1f} s | {end - result.start:.1f} s"
                f" | {len(inside)} | {failed}"
                f" | {percentile(lat, 50) * 1000:.0f} ms | {percentile(lat, 99) * 1000:.0f} ms |"
            )
    if result.events:
        lines += ["", "<details><summary>rollout events</summary>", ""]
        lines += [f"- {e['mono'] - result.start:7.1f} s {e['kind']}: {e['message']}" for e in result.events]
        lines += ["", "</details>"]
    if result.notes:
        lines += ["", "Stage events: " + "; ".join(f"{t - result.start:.1f} s {n}" for t, n in result.notes)]
    return "\n".join(lines) + "\n"


def chart(results: list[ScenarioResult], samples: list[Sample], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [r for r in results if r.records]
    if not shown:
        return
    fig, axes = plt.subplots(4, len(shown), figsize=(5.5 * len(shown), 10), sharex="col", squeeze=False)
    for col, result in enumerate(shown):
        t0 = result.start
        ax_w, ax_rate, ax_err, ax_p99 = axes[:, col]
        ax_w.set_title(result.name + ("" if result.ok else " (FAILED)"))
        inside = [s for s in samples if t0 <= s.at <= result.end and s.weights is not None]
        ax_w.step(
            [s.at - t0 for s in inside],
            [s.weights.ecs for s in inside if s.weights],
            where="post",
            color=FLEET_COLOURS["ecs"],
            label="ECS weight %",
        )
        ax_w.set_ylim(-5, 105)
        ax_w.set_ylabel("ECS weight (%)")
        rate: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        errors: dict[int, int] = defaultdict(int)
        lat: dict[int, list[float]] = defaultdict(list)
        for r in result.records:
            second = int(r.due - t0)
            rate[r.fleet][second] += 1
            if failure_cause(r) or (r.kind == "stream" and r.stream_complete is False):
                errors[second] += 1
            if r.kind != "stream":
                lat[second].append(r.latency)
        for fleet, per in sorted(rate.items()):
            xs = sorted(per)
            ax_rate.plot(xs, [per[x] for x in xs], label=fleet, color=FLEET_COLOURS.get(fleet))
        ax_rate.set_ylabel("requests/s")
        ax_rate.legend(loc="upper left", fontsize=7)
        xs = sorted(set(lat) | set(errors))
        ax_err.bar(xs, [errors.get(x, 0) for x in xs], color="tab:red", width=1.0)
        ax_err.set_ylim(0, max(1, *errors.values(), 0) * 1.1)
        ax_err.set_ylabel("errors/s")
        ax_p99.plot(xs, [percentile(lat.get(x, []), 99) * 1000 for x in xs], color="tab:purple")
        ax_p99.set_ylabel("p99 (ms)")
        ax_p99.set_xlabel("seconds")
        for ax in (ax_w, ax_rate, ax_err, ax_p99):
            for t, _ in result.notes:
                ax.axvline(t - t0, color="gray", linewidth=0.5, linestyle=":")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def write_report(folder: Path, results: list[ScenarioResult], samples: list[Sample], header: str) -> Path:
    chart(results, samples, folder / "timeline.png")
    verdict = "PASSED" if results and all(r.ok for r in results) else "FAILED"
    body = [f"# Cutover rehearsal {folder.name}: {verdict}", "", header, "", "![timeline](timeline.png)", ""]
    body += [scenario_markdown(r, samples) for r in results]
    path = folder / "report.md"
    path.write_text("\n".join(body))
    return path
