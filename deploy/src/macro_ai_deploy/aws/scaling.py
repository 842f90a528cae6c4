"""Application Auto Scaling: make sure the ECS service has capacity before traffic moves to it."""

from __future__ import annotations

from typing import Any

DIMENSION = "ecs:service:DesiredCount"


class EcsCapacity:
    """Capacity port: raises the scaling minimum (and desired count) for the rollout, restores it after.

    The raised minimum keeps target tracking from scaling the service in while it still gets little or no
    traffic. restore() puts the IaC's minimum back, so no drift remains.
    """

    def __init__(self, aas: Any, ecs: Any, cluster: str, service: str) -> None:
        self.aas, self.ecs, self.cluster, self.service = aas, ecs, cluster, service
        self.resource_id = f"service/{cluster}/{service}"
        self._original_min: int | None = None

    def _target(self) -> dict[str, Any] | None:
        targets = self.aas.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[self.resource_id], ScalableDimension=DIMENSION
        )["ScalableTargets"]
        return targets[0] if targets else None

    def scaling_minimum(self) -> int | None:
        """The IaC's minimum task count (None: the service has no scalable target)."""
        target = self._target()
        return int(target["MinCapacity"]) if target is not None else None

    def desired_count(self) -> int:
        svc = self.ecs.describe_services(cluster=self.cluster, services=[self.service])["services"][0]
        return int(svc["desiredCount"])

    def ensure(self, min_tasks: int) -> str:
        done: list[str] = []
        target = self._target()
        if target is not None and target["MinCapacity"] < min_tasks:
            if self._original_min is None:  # a resumed run already knows the IaC's value
                self._original_min = int(target["MinCapacity"])
            self.aas.register_scalable_target(
                ServiceNamespace="ecs",
                ResourceId=self.resource_id,
                ScalableDimension=DIMENSION,
                MinCapacity=min_tasks,
                MaxCapacity=max(int(target["MaxCapacity"]), min_tasks),
            )
            done.append(f"scaling minimum {int(target['MinCapacity'])} -> {min_tasks}")
        svc = self.ecs.describe_services(cluster=self.cluster, services=[self.service])["services"][0]
        if svc["desiredCount"] < min_tasks:
            self.ecs.update_service(cluster=self.cluster, service=self.service, desiredCount=min_tasks)
            done.append(f"desired count {svc['desiredCount']} -> {min_tasks}")
        return (
            ("scaled up ECS: " + ", ".join(done)) if done else f"ECS capacity already >= {min_tasks} task(s)"
        )

    def remember_original(self, minimum: int) -> None:
        """A resumed run: restore() puts back this minimum (from the run record), not today's raised one."""
        self._original_min = minimum

    def restore(self) -> str:
        if self._original_min is None:
            return ""
        target = self._target()
        if target is None:
            return ""
        self.aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=self.resource_id,
            ScalableDimension=DIMENSION,
            MinCapacity=self._original_min,
            MaxCapacity=int(target["MaxCapacity"]),
        )
        msg = f"scaling minimum restored to {self._original_min} (the IaC value)"
        self._original_min = None
        return msg
