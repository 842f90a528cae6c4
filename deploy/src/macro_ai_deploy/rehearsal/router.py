"""The rollout's router port on HAProxy: the listener weights, through the runtime API.

The ECS share is the range of `rand(100)` draws that go to the ECS backend ("0:24" = 25 %), kept in an ACL
that is replaced atomically (prepare, add, commit), so a request never sees a half-written split.
"""

from __future__ import annotations

import re

from macro_ai_deploy.rehearsal.haproxy import HaproxyError, RuntimeApi
from macro_ai_deploy.rollout.model import Weights

_RANGE = re.compile(r"\b0:(\d+)\b")


class HaproxyRouter:
    def __init__(self, api: RuntimeApi, acl_file: str) -> None:
        self.api = api
        self.acl_file = acl_file

    def get_weights(self) -> Weights:
        listing = self.api.command(f"show acl {self.acl_file}")
        if "Unknown ACL" in listing or "No such" in listing:
            raise HaproxyError(f"the weight ACL is missing: {listing.strip()}")
        match = _RANGE.search(listing)
        return Weights.to_ecs(int(match.group(1)) + 1 if match else 0)

    def set_weights(self, weights: Weights) -> None:
        prepared = self.api.command(f"prepare acl {self.acl_file}")
        version = re.search(r"New version created: (\d+)", prepared)
        if version is None:
            raise HaproxyError(f"could not prepare the weight ACL: {prepared.strip()}")
        ref = f"@{version.group(1)} {self.acl_file}"
        if weights.ecs > 0:
            added = self.api.command(f"add acl {ref} 0:{weights.ecs - 1}").strip()
            if added:
                raise HaproxyError(f"could not write the weight ACL: {added}")
        committed = self.api.command(f"commit acl {ref}").strip()
        if committed:
            raise HaproxyError(f"could not commit the weight ACL: {committed}")
        if (live := self.get_weights()) != weights:
            raise HaproxyError(f"listener reads {live} after setting {weights}")
