#!/usr/bin/env bash
# Runs in the fresh-machine container (see run.sh): proves the prerequisites, then the two README commands.
set -euo pipefail
pytest_args=${1:-}
say() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

say "prerequisites"
python3 --version
make --version | head -1
git --version
curl --version | head -1
for tool in node uv gcc; do
    if command -v "$tool" >/dev/null; then echo "unexpected on a fresh machine: $tool"; exit 1; fi
done
echo "no node, no uv, no gcc"

say "make run"
set -m  # make run in a process group of its own, stopped as Ctrl-C would
make run >/tmp/make-run.log 2>&1 &
run_pid=$!
started=$SECONDS
until curl -fsS http://127.0.0.1:3040/api/health/ready; do
    if ! kill -0 "$run_pid" 2>/dev/null || ((SECONDS - started > 900)); then
        echo "make run did not become ready"; tail -50 /tmp/make-run.log; exit 1
    fi
    sleep 2
done
echo
echo "ready after $((SECONDS - started)) s"
kill -INT -- "-$run_pid"
wait "$run_pid" || true
set +m
tail -3 /tmp/make-run.log

say "make test ${pytest_args}"
make test PYTEST_ARGS="$pytest_args"
say "done"
