"""The service contract's timing rules: streams finish while a task drains; the stop timeout leaves room."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from macro_ai_contract.service import CONTRACT_FILE, load_contract, parse_contract


def _data() -> dict[str, Any]:
    return dict(json.loads(CONTRACT_FILE.read_text()))


def test_the_repository_contract_satisfies_its_timing_rules() -> None:
    contract = load_contract(CONTRACT_FILE)
    assert contract.drain_seconds >= contract.max_stream_seconds
    assert (
        contract.detection_seconds + contract.drain_seconds + contract.shutdown_margin_seconds
        <= contract.stop_timeout_seconds
        <= 120
    )
    assert contract.keep_alive_timeout_seconds > contract.load_balancer_idle_timeout_seconds


def _with(section: str, **values: int) -> dict[str, Any]:
    data = copy.deepcopy(_data())
    data[section].update(values)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_with("streams", maxSeconds=90), "at least streams.maxSeconds"),
        (_with("shutdown", drainSeconds=60, stopTimeoutSeconds=70), "stopTimeoutSeconds must be at least"),
        (_with("shutdown", stopTimeoutSeconds=121), "above 120"),
        (_with("http", keepAliveTimeoutSeconds=60), "keepAliveTimeoutSeconds"),
        (_with("loadBalancer", healthCheckIntervalSeconds=10), "stopTimeoutSeconds must be at least"),
    ],
)
def test_timing_that_would_cut_streams_or_kill_a_draining_task_is_refused(
    data: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_contract(data)
