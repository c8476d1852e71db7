"""One simulated cloud: configuration, clock, random source, faults, the four stores and their routes.

`Cloud.build()` makes a fresh, seeded cloud; a reset replaces the whole `Cloud`, so no state can leak
between tests through a forgotten field.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from octavia_lb_devkit.sim.barbican import api as barbican
from octavia_lb_devkit.sim.barbican.api import Barbican
from octavia_lb_devkit.sim.clock import Clock, Scheduler
from octavia_lb_devkit.sim.faults import Faults
from octavia_lb_devkit.sim.http import Call, Router
from octavia_lb_devkit.sim.keystone import api as keystone
from octavia_lb_devkit.sim.keystone.api import Identity
from octavia_lb_devkit.sim.neutron import routes as neutron_routes
from octavia_lb_devkit.sim.neutron.l3 import L3
from octavia_lb_devkit.sim.neutron.store import Neutron
from octavia_lb_devkit.sim.octavia import routes as octavia_routes
from octavia_lb_devkit.sim.octavia.states import Operation
from octavia_lb_devkit.sim.octavia.store import Octavia
from octavia_lb_devkit.sim.octavia.versions import LATEST, ApiVersion
from octavia_lb_devkit.sim.seed import DEFAULT_SEED, Seeder
from octavia_lb_devkit.sim.timing import Timing


@dataclass(frozen=True)
class SimConfig:
    """Everything that shapes a simulated cloud; the CLI flags map onto it one to one."""

    profile: str = "fast"
    random_seed: int = 0
    max_api_version: ApiVersion = LATEST
    seed: dict[str, Any] | None = None  # None = the built-in seed
    delays: dict[str, Any] = field(default_factory=dict)
    region: str = "RegionOne"

    def timing(self) -> Timing:
        return Timing(self.profile).with_overrides(self.delays)


def root_of(call: Call) -> str:
    return call.base_url


@dataclass
class Cloud:
    config: SimConfig
    clock: Clock
    scheduler: Scheduler
    rng: random.Random
    faults: Faults
    timing: Timing
    identity: Identity
    neutron: Neutron
    l3: L3
    octavia: Octavia
    router: Router
    seeder: Seeder
    barbican: Barbican
    counts: Counter[str] = field(default_factory=Counter)
    internal_errors: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, config: SimConfig, clock: Clock | None = None) -> Cloud:
        clock = clock or Clock()
        rng = random.Random(config.random_seed)
        scheduler, faults, timing = Scheduler(clock), Faults(), config.timing()
        identity = Identity(clock, region=config.region)
        net = Neutron(clock)
        octavia = Octavia(clock, scheduler, timing, rng, faults, config.max_api_version)
        ids = _id_source(config.random_seed)
        key_manager = Barbican(clock)
        net.new_id = octavia.new_id = key_manager.new_id = ids
        l3 = L3(net, scheduler, lambda: octavia.timing.draw(Operation.FIP_ACTIVE, rng))
        router = Router()
        keystone.add_routes(router, identity, root_of)
        neutron_routes.add_routes(router, net, l3, root_of)
        octavia_api = octavia_routes.add_routes(router, octavia, net, root_of)
        barbican.add_routes(router, key_manager, root_of)
        cloud = cls(
            config,
            clock,
            scheduler,
            rng,
            faults,
            timing,
            identity,
            net,
            l3,
            octavia,
            router,
            Seeder(identity, net, l3, octavia, octavia_api.lbs),
            key_manager,
        )
        cloud.seeder.apply(config.seed if config.seed is not None else DEFAULT_SEED)
        return cloud

    def set_delays(self, raw: dict[str, Any]) -> Timing:
        self.timing = self.timing.with_overrides(raw)
        self.octavia.timing = self.timing
        return self.timing

    def api_latency(self) -> float:
        return self.faults.latency + self.timing.draw(Operation.API_LATENCY, self.rng)


def _id_source(seed: int) -> Callable[[], str]:
    """UUIDs from a seeded generator, so the same seed and the same calls give the same ids."""
    rng = random.Random(f"ids-{seed}")
    return lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))
