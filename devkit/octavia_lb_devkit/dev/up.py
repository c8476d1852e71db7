"""`octavia-lb dev up`: bring every part of the local stack up, keeping the parts that already run healthy.

Parts start in dependency order. A recorded part is kept when its very process (PID and start time) is
alive, its health check passes and nothing it depends on was restarted in this run; otherwise it is
stopped (if it lingers) and started afresh. Nodes and webhook configurations are (re)applied every time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from octavia_lb_devkit.controlplane.processes import LOOPBACK
from octavia_lb_devkit.dev import kubesetup, simcloud
from octavia_lb_devkit.dev.cloud import CLOUD_NAME, write_cloud_files
from octavia_lb_devkit.dev.health import check
from octavia_lb_devkit.dev.layout import Part, StateDir
from octavia_lb_devkit.dev.procs import running, stop_named
from octavia_lb_devkit.dev.starters import (
    StackSettings,
    start_cluster_parts,
    start_queue_part,
    start_redis_part,
    start_sim_part,
    start_webhook_part,
)

NOT_STARTED = "not started yet"


def say(name: str, message: str) -> None:
    print(f"[dev] {name + ':':<16}{message}", flush=True)


class Stack:
    def __init__(self, state: StateDir, settings: StackSettings) -> None:
        self.state = state
        self.settings = settings
        self.fresh: set[str] = set()

    def up(self) -> dict[str, Part]:
        state = self.state
        state.root.mkdir(parents=True, exist_ok=True)
        self._bring(("redis",), (), lambda: start_redis_part(state))
        self._bring(("etcd", "kube-apiserver"), (), lambda: start_cluster_parts(state))
        created = kubesetup.ensure_nodes(state.kubeconfig)
        say("nodes", f"created {', '.join(created)}" if created else "present (node-1, node-2, node-3)")
        self._bring(("openstack-sim",), (), self._start_sim)
        sim_url = f"http://{LOOPBACK}:{self._part('openstack-sim').port}"
        write_cloud_files(state.cloud_conf, state.clouds_yaml, sim_url)
        self._bring(("webhook",), ("kube-apiserver",), lambda: start_webhook_part(state))
        webhook = self._part("webhook")
        kubesetup.register(state.kubeconfig, f"https://{LOOPBACK}:{webhook.port}", state.tls / "ca.crt")
        say("webhook", "registered (ValidatingWebhookConfiguration, MutatingWebhookConfiguration)")
        redis_url = f"redis://{LOOPBACK}:{self._part('redis').port}/0"
        for name, needs in (
            ("dispatcher", ("redis", "kube-apiserver")),
            ("worker", ("redis", "kube-apiserver", "openstack-sim")),
        ):
            self._bring(
                (name,), needs, lambda name=name: start_queue_part(state, name, redis_url, self.settings)
            )
        return state.load_parts()

    def _start_sim(self) -> list[Part]:
        parts = start_sim_part(self.state, self.settings)
        try:
            simcloud.prepare(f"http://{LOOPBACK}:{parts[0].port}")
        except BaseException:
            stop_named(self.state.pids, "openstack-sim")  # an unseeded simulator must not be kept
            raise
        say("openstack-sim", "seeded networks, node ports and routers for the examples")
        return parts

    def _part(self, name: str) -> Part:
        return self.state.load_parts()[name]

    def _bring(self, names: Sequence[str], needs: Sequence[str], start: Callable[[], list[Part]]) -> None:
        reason = self._why_restart(names, needs)
        if reason is None:
            for name in names:
                entry = running(self.state.pids, name)
                say(name, f"kept (pid {entry.pid if entry else '?'}, port {self._part(name).port})")
            return
        for name in names:
            if stop_named(self.state.pids, name):
                say(name, f"stopped the old process: {reason}")
            self.state.forget_part(name)
        say(" + ".join(names), "starting…" if reason == NOT_STARTED else f"starting… ({reason})")
        started = time.monotonic()
        for part in start():
            self.state.save_part(part)
            self.fresh.add(part.name)
            entry = running(self.state.pids, part.name)
            pid = entry.pid if entry else "?"
            say(part.name, f"up in {time.monotonic() - started:.1f}s (pid {pid}, port {part.port})")

    def _why_restart(self, names: Sequence[str], needs: Sequence[str]) -> str | None:
        recorded = self.state.load_parts()
        if any(name not in recorded for name in names):
            return NOT_STARTED
        restarted = [need for need in needs if need in self.fresh]
        if restarted:
            return f"{', '.join(restarted)} restarted"
        for name in names:
            if running(self.state.pids, name) is None:
                return f"{name} is not running"
            health = check(recorded[name])
            if not health.healthy:
                return f"{name} unhealthy ({health.detail})"
        return None


def summary(state: StateDir, parts: dict[str, Part]) -> str:
    root = state.root.resolve()
    lines = [
        "",
        f"local stack is up (state and logs in {root}):",
        f"  kube-apiserver  https://{LOOPBACK}:{parts['kube-apiserver'].port}",
        f"  webhook         https://{LOOPBACK}:{parts['webhook'].port}  (CA {root / 'tls' / 'ca.crt'})",
        f"  openstack-sim   http://{LOOPBACK}:{parts['openstack-sim'].port}  (control API /_sim/)",
        f"  redis           redis://{LOOPBACK}:{parts['redis'].port}/0",
        f"  dispatcher      {parts['dispatcher'].url}",
        f"  worker          {parts['worker'].url}",
        "",
        f"export KUBECONFIG={root / 'kubeconfig'}",
        f"export OS_CLIENT_CONFIG_FILE={root / 'clouds.yaml'} OS_CLOUD={CLOUD_NAME}",
        "kubectl apply -f examples/good/   # then: kubectl get svc -A",
        f"octavia-lb dev status --state-dir {state.root}",
        f"stop everything with: octavia-lb dev down --state-dir {state.root}",
    ]
    return "\n".join(lines)
