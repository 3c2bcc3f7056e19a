"""Demo data of the traffic module (to be filled). Same interface as :class:`TrafficDemo`:
``events()`` for the replay, ``backdate()`` after it, ``counts`` for the summary."""

import datetime as dt
import random


class ChargingDemo:
    def __init__(self, rng: random.Random, world, now: dt.datetime):
        self.rng, self.world, self.now = rng, world, now
        self.counts: dict[str, int] = {}

    def events(self) -> list:
        return []

    def backdate(self) -> None:
        return None
