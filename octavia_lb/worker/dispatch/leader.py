"""Leader election on a coordination.k8s.io/v1 Lease, so exactly one dispatcher enqueues at a time.

The algorithm is client-go's: the holder renews `renewTime` every retry period; a candidate takes the Lease
over when the holder is empty or when the record has not changed for a whole lease duration *as measured on
the candidate's own clock* since it last saw the record change (no trust in other machines' clocks). Writes
carry the read resourceVersion, so two candidates cannot both win: the API server answers 409 to the loser.
A leader that cannot renew for `renew_deadline` steps down before a standby may take over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from octavia_lb.common.kube_json import Json, KubeJson, LeaseBody

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaseConfig:
    name: str
    namespace: str
    identity: str
    duration: float = 15.0
    retry_period: float = 2.0

    @property
    def renew_deadline(self) -> float:
        return self.duration * 2 / 3


def _micro_time(moment: datetime) -> str:
    # MicroTime wants exactly six fractional digits; isoformat() drops them when they are zero
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """One candidate. `try_acquire_or_renew` is one step; `run` loops it and reports leadership changes."""

    def __init__(
        self,
        api: client.ApiClient,
        config: LeaseConfig,
        on_change: Callable[[bool], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._leases = KubeJson(api)
        self.config = config
        self._on_change = on_change or (lambda leading: None)
        self._clock = clock
        self._observed: tuple[Any, ...] | None = None
        self._observed_at = 0.0
        self._last_renew = float("-inf")
        self._leading = False

    @property
    def is_leader(self) -> bool:
        return self._leading

    # -- one step --

    def try_acquire_or_renew(self) -> bool:
        """True when this candidate holds the Lease after the call."""
        lease = self._read()
        if lease is None:
            return self._write(None, acquired=True, transitions=0)
        spec = lease.get("spec") or {}
        record = (spec.get("holderIdentity"), spec.get("renewTime"), spec.get("leaseDurationSeconds"))
        now = self._clock()
        if record != self._observed:
            self._observed, self._observed_at = record, now
        holder = spec.get("holderIdentity") or ""
        duration = float(spec.get("leaseDurationSeconds") or self.config.duration)
        if holder and holder != self.config.identity and now < self._observed_at + duration:
            return False
        mine = holder == self.config.identity
        transitions = int(spec.get("leaseTransitions") or 0) + (0 if mine else 1)
        return self._write(lease, acquired=not mine, transitions=transitions)

    def release(self) -> None:
        """Give the Lease up now, so a standby need not wait a lease duration (client-go ReleaseOnCancel)."""
        if not self._leading:
            return
        lease = self._read()
        if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.config.identity:
            return
        lease["spec"].update(
            holderIdentity="", leaseDurationSeconds=1, renewTime=_micro_time(datetime.now(UTC))
        )
        try:
            self._leases.replace_lease(self.config.namespace, self.config.name, lease)
        except ApiException as exc:
            log.warning("could not release Lease %s: %s", self.config.name, exc.reason)
        self._set_leading(False)

    # -- the loop --

    def run(self, stop: threading.Event) -> None:
        """Acquire, then renew, every retry period until `stop` is set."""
        while not stop.is_set():
            try:
                held = self.try_acquire_or_renew()
            except Exception as exc:  # API unreachable: keep leading only until the renew deadline
                log.warning("Lease %s/%s: %s", self.config.namespace, self.config.name, exc)
                held = self._leading and self._clock() - self._last_renew < self.config.renew_deadline
            self._set_leading(held)
            stop.wait(self.config.retry_period)

    def _set_leading(self, leading: bool) -> None:
        if leading != self._leading:
            self._leading = leading
            log.info(
                "%s %s Lease %s/%s",
                self.config.identity,
                "acquired" if leading else "lost",
                self.config.namespace,
                self.config.name,
            )
            self._on_change(leading)

    # -- API --

    def _read(self) -> Json | None:
        try:
            return self._leases.read_lease(self.config.namespace, self.config.name)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def _write(self, lease: Json | None, acquired: bool, transitions: int) -> bool:
        now = _micro_time(datetime.now(UTC))
        spec = dict((lease or {}).get("spec") or {})
        spec.update(
            holderIdentity=self.config.identity,
            leaseDurationSeconds=max(1, round(self.config.duration)),
            renewTime=now,
            leaseTransitions=transitions,
        )
        if acquired:
            spec["acquireTime"] = now
        body: LeaseBody = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": (lease or {}).get("metadata")
            or {"name": self.config.name, "namespace": self.config.namespace},
            "spec": spec,
        }
        try:
            if lease is None:
                self._leases.create_lease(self.config.namespace, body)
            else:
                self._leases.replace_lease(self.config.namespace, self.config.name, body)
        except ApiException as exc:
            if exc.status == 409:  # another candidate wrote first
                return False
            raise
        self._observed = (self.config.identity, now, spec["leaseDurationSeconds"])
        self._observed_at = self._last_renew = self._clock()
        return True
