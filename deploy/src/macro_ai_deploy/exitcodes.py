"""Exit codes of `macro-deploy`: one meaning each, documented in docs/deploy.md."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1  # a bug: unexpected exception (one line; MACRO_DEPLOY_DEBUG=1 for the traceback)
    USAGE = 2  # bad arguments, unknown environment (click/typer also use 2 for usage errors)
    NOT_FOUND = 3  # stack, output, repository, image tag, service ... does not exist
    AWS_AUTH = 4  # no credentials, expired/invalid credentials, access denied, no region
    AWS_ERROR = 5  # any other AWS API or endpoint error
    REFUSED = 6  # a precondition refused the action (dirty tree, stack busy, unknown config names ...)

    DEPLOY_ROLLED_BACK = 10  # ECS circuit breaker rolled the deployment back to the previous revision
    DEPLOY_FAILED = 11  # the deployment failed (reason printed); nothing reports it as rolled back
    DEPLOY_ALARM_ROLLED_BACK = 15  # a deployment alarm fired and ECS rolled back (the alarm is named)
    DEPLOY_TIMEOUT = 12  # not steady within --timeout; the message says where it stuck
    DB_MIGRATION_FAILED = 13  # db-migrate: `db upgrade` exited non-zero or its task stopped before it ran
    DB_MIGRATION_TIMEOUT = 14  # db-migrate: the task did not stop within --timeout (it keeps running)

    MIGRATION_ROLLED_BACK = 20  # a gate failed: all traffic was moved back to the legacy target group
    MIGRATION_STOPPED_EXTERNALLY = 21  # weights changed outside this run (e.g. `migrate abort`): stopped
    MIGRATION_HELD = 22  # interrupted (Ctrl-C): traffic held at the last gated weights, resume with start
    MIGRATION_DRIFT = 23  # traffic is right but the stack parameters could not be written back
    MIGRATION_ROLLBACK_FAILED = 24  # could NOT restore 100 % legacy: act by hand now
    MIGRATION_HELD_NO_FALLBACK = 25  # a gate failed but legacy has no healthy targets: weights HELD, act now
    MIGRATION_LEASE_HELD = 26  # another run holds the migration lease (or a stale one needs --steal)
    MIGRATION_GATE_FAILING = 27  # status --check: a gate fails or a migration is stuck

    REHEARSAL_FAILED = 30  # rehearse: a scenario broke a promise (or could not run); see its report

    INTERRUPTED = 130  # Ctrl-C outside a rollout
