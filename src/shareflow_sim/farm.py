"""The farm: one world, one clock and the phones that share them."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from shareflow_sim.phone import Phone, PhoneSpec
from shareflow_sim.scenario import Scenario
from shareflow_sim.world import Chat, Message, World

CHINA = timezone(timedelta(hours=8))


class Farm:
    """Virtual phones sharing a world, a clock and a scenario."""

    def __init__(self, specs: list[PhoneSpec], scenario: Scenario) -> None:
        self.scenario = scenario
        self._t0 = time.monotonic()
        self._start = scenario.clock_start or datetime.now(CHINA)  # the scenario's carries its UTC offset
        self.world = World(scenario.seed, self.now)
        accounts = {}
        for spec in specs:
            if spec.wechat_id:
                accounts[spec.name] = self.world.add_account(spec.wechat_id, spec.wechat_nickname or spec.name)
        self.world.build_chats()
        self.phones = {spec.name: Phone(self, spec, accounts.get(spec.name)) for spec in specs}
        self.world.listeners.append(self._deliver)

    def monotonic(self) -> float:
        """Seconds since the farm started."""
        return time.monotonic() - self._t0

    def now(self) -> datetime:
        """The farm's wall clock (China time), which status bars show."""
        return self._start + timedelta(seconds=self.monotonic())

    def _deliver(self, chat: Chat, message: Message) -> None:
        if chat.kind == "group" and self.scenario.has("group_message_lost"):
            return
        for phone in self.phones.values():
            phone.hear(chat, message)
