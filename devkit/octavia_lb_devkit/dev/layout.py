"""Where `octavia-lb dev` keeps things: one state folder with logs, pidfiles, configs and the parts' ports.

`up` records, for every part it runs, the port it listens on and how to check its health, in `parts.json`;
`status` and `down` read that file (and the pidfiles) and never guess. Logs stay in the folder after `down`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

from octavia_lb_devkit.controlplane.processes import PidRegistry


class CheckKind(Enum):
    """How a part proves it is healthy."""

    REDIS = "redis"  # TCP connect + PING
    HTTP = "http"  # GET answers 200
    HTTPS = "https"  # GET answers 200 over TLS, verified against the part's CA


@dataclass(frozen=True)
class Part:
    """One running part of the stack, as recorded by `up`."""

    name: str  # also its pidfile name
    port: int
    check: CheckKind
    url: str  # the health URL (redis://host:port for REDIS)
    ca_file: str = ""  # HTTPS only: the CA that signed the part's certificate
    bearer_from: str = ""  # HTTPS only: a kubeconfig whose token the check presents


# The order `up` starts parts in; `down` stops them in reverse.
PART_ORDER = ("redis", "etcd", "kube-apiserver", "openstack-sim", "webhook", "dispatcher", "worker")


@dataclass(frozen=True)
class StateDir:
    """Paths inside the state folder (default `.dev/`), always absolute.

    The parts are started with other working directories (redis-server runs inside the folder), so a relative
    path such as the default `.dev` would point somewhere else for them.
    """

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).expanduser().resolve())

    @property
    def pids(self) -> PidRegistry:
        return PidRegistry(self.root / "pids")

    @property
    def parts_file(self) -> Path:
        return self.root / "parts.json"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"  # written there by controlplane.Cluster

    @property
    def cloud_conf(self) -> Path:
        return self.root / "cloud.conf"

    @property
    def clouds_yaml(self) -> Path:
        return self.root / "clouds.yaml"

    @property
    def tls(self) -> Path:
        return self.root / "tls"

    @property
    def cluster_ca(self) -> Path:
        return self.root / "pki" / "ca.crt"

    def log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def load_parts(self) -> dict[str, Part]:
        """The recorded parts by name; an absent or unreadable file means nothing was recorded."""
        try:
            data = json.loads(self.parts_file.read_text())
        except (OSError, ValueError):
            return {}
        parts = {}
        for name, raw in data.items():
            parts[name] = Part(**{**raw, "check": CheckKind(raw["check"])})
        return parts

    def save_part(self, part: Part) -> None:
        parts = self.load_parts()
        parts[part.name] = part
        self._write(parts)

    def forget_part(self, name: str) -> None:
        parts = self.load_parts()
        if parts.pop(name, None) is not None:
            self._write(parts)

    def _write(self, parts: dict[str, Part]) -> None:
        ordered = {n: {**asdict(p), "check": p.check.value} for n, p in sorted(parts.items(), key=_order)}
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.parts_file.with_suffix(".tmp")
        partial.write_text(json.dumps(ordered, indent=2))
        partial.replace(self.parts_file)


def _order(item: tuple[str, Part]) -> int:
    return PART_ORDER.index(item[0]) if item[0] in PART_ORDER else len(PART_ORDER)
