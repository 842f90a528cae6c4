#!/usr/bin/env bash
# The README's two commands on a fresh machine: `make run` (until /api/health/ready answers 200) and
# `make test`, in a clean container built from tests/fresh_machine/Dockerfile, on a `git clone` of HEAD
# with a copy of shared/ beside it. Needs `docker` (Docker, or the kit: . ../shared/container-engine/env.sh).
#
#   bash tests/fresh_machine/run.sh                      # make run, then the whole make test
#   bash tests/fresh_machine/run.sh infra/tests          # make run, then make test PYTEST_ARGS=infra/tests
#
# The container tests are skipped inside (no engine can be nested there; they say so).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tag=${FRESH_MACHINE_IMAGE:-macro-ai-fresh-machine:local}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

docker build -q -t "$tag" -f "$here/Dockerfile" "$here" >/dev/null
git clone --quiet --no-hardlinks "$repo" "$work/macro-ai"
if [ -d "$repo/../shared" ]; then cp -r "$repo/../shared" "$work/shared"; fi
docker run --rm -v "$work:/work" -w /work/macro-ai "$tag" bash tests/fresh_machine/inside.sh "$*"
