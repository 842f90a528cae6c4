"""Health: liveness, readiness, detailed checks and configuration report (SPEC 1.5)."""
