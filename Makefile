# Thin entry points over uv. Only Python 3.11, make, git and curl are needed on a fresh machine:
# the first target that needs uv installs the pinned version into .tools/.
SHELL := /bin/bash
UV_VERSION := 0.13.8
UV := .tools/bin/uv
RUN := $(UV) run --frozen --no-sync
UV_COMPILE_BYTECODE ?= 1
export UV_COMPILE_BYTECODE
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: run test test-deps lint typecheck unit bench image compose-up compose-down synth clean-data help

help:
	@echo "make run    - the service on 127.0.0.1:3040 with embedded PostgreSQL and the Cognito emulator"
	@echo "make test   - every test (lint, types, unit, integration, infra, deploy, container)"
	@echo "make bench  - benchmarks (figures go to docs/benchmarks.md by hand; per-worker req/s to docs/capacity.json)"
	@echo "make rehearse - the EC2 -> ECS cutover rehearsed on this machine under load (report in rehearsals/)"

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: $(UV) uv.lock pyproject.toml contract/pyproject.toml api/pyproject.toml infra/pyproject.toml deploy/pyproject.toml devstack/pyproject.toml
	$(UV) sync --frozen
	@touch $@

sync: .venv/.synced

run: .venv/.synced
	$(RUN) python -m macro_ai_devstack

lint: .venv/.synced
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy contract/src api/src devstack/src infra/src deploy/src

# System packages some tests need (Debian). Without root the Redis and HAProxy tests are skipped with a reason.
# haproxy: the local stand-in for the ALB (the drain test behind a load balancer, the cutover rehearsal).
test-deps:
	@command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server >/dev/null) \
		|| echo "redis-server could not be installed: the shared rate-limit tests will be skipped"
	@test -x /usr/sbin/haproxy || (apt-get update -qq && apt-get install -y -qq haproxy >/dev/null) \
		|| echo "haproxy could not be installed: the load-balancer drain and rehearsal tests will be skipped"

# `make test PYTEST_ARGS=infra/tests` runs lint and one suite.
test: lint test-deps
	$(RUN) pytest $(PYTEST_ARGS)

bench: .venv/.synced
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(RUN) python bench/run.py $(BENCH)

# The CDK app's templates into infra/cdk.out (the CLI's `output` in cdk.json), offline, no AWS credentials.
# `make synth PR=42` adds that pull request's preview stack.
synth: .venv/.synced
	rm -rf infra/cdk.out
	CDK_OUTDIR=infra/cdk.out $(if $(PR),CDK_CONTEXT_JSON='{"pr": "$(PR)"}') $(RUN) python infra/app.py
	@ls infra/cdk.out/*.template.json

clean-data:
	rm -rf .data

# --- containers: `docker` is the real Docker CLI, or the container engine kit's shim
# (`make container-kit` sets the kit up where there is no Docker engine; then `. ../shared/container-engine/env.sh`).
IMAGE ?= macro-ai-api:dev
KIT_DIR := ../shared/container-engine
VERSION = $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' api/src/macro_ai/__init__.py)
REVISION = $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
SOURCE = $(shell git remote get-url origin 2>/dev/null || echo unknown)

container-kit:
	@if docker info >/dev/null 2>&1; then echo "docker works: no kit needed"; \
	else bash $(KIT_DIR)/setup.sh && echo "now: . $(KIT_DIR)/env.sh"; fi

# The dependency images (macro-ai-api-deps:<hash>) are built only when missing, then the app on top of them:
# the image `docker build -f api/Dockerfile .` makes, rebuilt in seconds after a code change (docs/container.md).
image:
	api/build-image.sh $(IMAGE) \
		--build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) --build-arg SOURCE=$(SOURCE)

compose-up:
	docker compose up --build --wait

compose-down:
	docker compose down -v

.PHONY: container-kit

# --- the cutover rehearsal (issue 11): HAProxy as the ALB, the legacy fleet as processes, the ECS fleet as
# containers of the real image (own tag, so it never collides with other builds), under load; report in
# rehearsals/<run>/. `make rehearse SCENARIOS="migrate bad-release"` runs some; REHEARSE_ARGS passes options.
REHEARSAL_IMAGE := macro-ai-api:rehearsal
SCENARIOS ?=
REHEARSE_ARGS ?=

rehearse: .venv/.synced test-deps
	@if ! docker info >/dev/null 2>&1; then bash $(KIT_DIR)/setup.sh >/dev/null && . $(KIT_DIR)/env.sh; fi; \
	$(MAKE) --no-print-directory image IMAGE=$(REHEARSAL_IMAGE) && \
	$(RUN) macro-deploy rehearse --image $(REHEARSAL_IMAGE) $(REHEARSE_ARGS) $(SCENARIOS)

.PHONY: rehearse
