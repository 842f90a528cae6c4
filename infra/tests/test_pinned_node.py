"""The CDK's jsii kernel runs on the Node.js pinned in the lock file: a machine needs no node of its own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import aws_cdk
import pytest
from macro_ai_infra.node import pinned_node, pinned_node_version


def jsii_kernels() -> list[Path]:
    """Executables of this process's children that run jsii's kernel (``node ... jsii-runtime``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            exe = (entry / "exe").resolve()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and any(b"jsii-runtime" in arg for arg in cmdline):
            found.append(exe)
    return found


def test_the_pinned_node_is_the_wheel_version() -> None:
    node = pinned_node()
    assert node.is_file(), node
    assert os.access(node, os.X_OK), node
    result = subprocess.run([str(node), "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"v{pinned_node_version()}"


@pytest.mark.skipif(not Path("/proc/self/exe").exists(), reason="needs /proc to see the kernel process")
def test_jsii_kernel_runs_on_the_pinned_node() -> None:
    assert aws_cdk.App() is not None  # the kernel is up
    assert jsii_kernels() == [pinned_node().resolve()]
