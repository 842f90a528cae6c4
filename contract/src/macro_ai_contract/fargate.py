"""Fargate's task sizes as AWS documents them: CPU units -> the memory sizes (MiB) allowed with them.

The CDK profiles are validated against it and `macro-deploy cost` picks its advice from it.
"""

from __future__ import annotations

FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}
