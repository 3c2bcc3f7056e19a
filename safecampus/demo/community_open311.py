"""The demo's community voice: open311 (replayed through the real services).

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay, ``backdate()`` runs after it, ``counts`` goes into the summary.
"""

import random


class Open311Demo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.counts: dict[str, int] = {}

    def events(self) -> list:
        return []

    def backdate(self) -> None:
        pass
