"""Spreading tests over xdist workers by phone.

xdist's default ``load`` scheduling deals tests out in the order collected,
so two workers often get tests of the same phone and then take turns at its
lease while other phones idle. Here each phone's tests (a two-phone test
counts as its sender's) form one work unit, given whole to one worker, as
``--dist loadscope`` does with modules. It is used when ``-n`` is given
without ``--dist``.

A test whose worker died under it is not run again (loadscope would hand it,
with the rest of its unit, to another worker): it is reported as crashed, as
xdist's ``load`` scheduling does, and the rest of its phone's tests go on.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from xdist.scheduler import LoadScopeScheduling
from xdist.workermanage import WorkerController


class PhoneScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist has no type information
    """``loadscope`` whose scope is the phone a test runs on (its first, for a pair)."""

    def __init__(self, config: pytest.Config, log: object, phones: Sequence[str]) -> None:
        super().__init__(config, log)
        self.phones = sorted(phones, key=len, reverse=True)  # "iphone-13" before "iphone-1"

    def _split_scope(self, nodeid: str) -> str:
        params = nodeid.rpartition("[")[2].removesuffix("]") if nodeid.endswith("]") else ""
        for phone in self.phones:
            if params == phone or params.startswith(phone + "-"):
                return phone
        return str(super()._split_scope(nodeid))

    def remove_node(self, node: WorkerController) -> str | None:
        """Take a finished or crashed worker out; a crashed one's test is not to be run again."""
        workload = self.assigned_work.get(node, {})
        crashed = next((nodeid for unit in workload.values() for nodeid, done in unit.items() if not done), None)
        for unit in workload.values():
            if crashed in unit:
                unit[crashed] = True
        super().remove_node(node)
        return crashed
