"""Two `octavia-lb webhook` processes behind a client that, like a Service VIP, retries a request once on
the other replica when a connection fails. One replica is SIGKILLed under load: no admission fails after
one retry, every answer is well-formed and right, and the survivor's view of the API server stays current
(its sharing decisions follow Services created after the kill).
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from kubernetes import client
from octavia_lb_devkit.testing.samples import numbered_lb_id, review, service

from tests.fixtures.webhook import RunningWebhook, webhook_process
from tests.polling import wait_for

pytestmark = pytest.mark.faults

LB_ID = "loadbalancer.openstack.org/load-balancer-id"
SECONDS_BEFORE_KILL = 1.5
SECONDS_AFTER_KILL = 3.0


@dataclass
class Tally:
    answered: int = 0
    retried: int = 0
    failed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    verdicts: list[tuple[float, str, bool]] = field(default_factory=list)


class RetryingClient:
    """Round-robin over the replicas; a connection error sends the same request to the next one, once."""

    def __init__(self, replicas: list[RunningWebhook]) -> None:
        self.clients = [r.client() for r in replicas]
        self.turn = itertools.count()

    def validate(self, body: dict[str, Any], tally: Tally) -> dict[str, Any] | None:
        first = next(self.turn) % len(self.clients)
        for attempt in range(2):
            http = self.clients[(first + attempt) % len(self.clients)]
            try:
                reply = http.post("/validate", json=body)
            except httpx.TransportError as exc:
                if attempt == 0:
                    tally.retried += 1
                    continue
                tally.failed.append(f"{type(exc).__name__}: {exc}")
                return None
            if reply.status_code != 200:
                tally.failed.append(f"HTTP {reply.status_code}: {reply.text[:200]}")
                return None
            return reply.json()
        return None

    def close(self) -> None:
        for http in self.clients:
            http.close()


def guest(namespace: str, lb_id: str, port: int) -> dict[str, Any]:
    svc = service(
        f"guest-{uuid.uuid4().hex[:6]}", namespace, annotations={LB_ID: lb_id}, ports=[("TCP", port)]
    )
    return review("CREATE", svc)


def check(answer: dict[str, Any] | None, sent: dict[str, Any], tally: Tally) -> bool | None:
    if answer is None:
        return None
    response = answer.get("response") or {}
    if (
        answer.get("apiVersion") != "admission.k8s.io/v1"
        or answer.get("kind") != "AdmissionReview"
        or response.get("uid") != sent["request"]["uid"]
        or not isinstance(response.get("allowed"), bool)
    ):
        tally.wrong.append(f"malformed answer: {answer}")
        return None
    tally.answered += 1
    return response["allowed"]


def test_one_webhook_replica_killed_under_load(cluster, kube_api, namespace, tls_certs, tmp_path):
    core = client.CoreV1Api(kube_api)
    first_id, later_id = numbered_lb_id(901), numbered_lb_id(902)
    core.create_namespaced_service(namespace, service("owner", namespace, annotations={LB_ID: first_id}))
    with ExitStack() as stack:
        procs = [
            stack.enter_context(webhook_process(tls_certs, cluster.kubeconfig, _dir(tmp_path, i)))
            for i in range(2)
        ]
        replicas = [p.running for p in procs]
        http = RetryingClient(replicas)
        stack.callback(http.close)
        for replica in replicas:  # both caches have synced and seen the owner
            wait_for(
                "a replica to deny the port collision", lambda r=replica: _denies(r, namespace, first_id)
            )
        tally, stop = Tally(), threading.Event()

        def load() -> None:
            # port 80 collides with the owner's (deny); 8080 is free (allow); later_id: see below
            for i in itertools.count():
                if stop.is_set():
                    return
                lb_id, port, expected = [
                    (first_id, 80, False),
                    (first_id, 8080, True),
                    (later_id, 443, None),
                ][i % 3]
                sent = guest(namespace, lb_id, port)
                allowed = check(http.validate(sent, tally), sent, tally)
                if allowed is None:
                    continue
                if expected is not None and allowed != expected:
                    tally.wrong.append(f"{lb_id} port {port}: allowed={allowed}")
                if lb_id == later_id:
                    tally.verdicts.append((time.monotonic(), "later", allowed))

        thread = threading.Thread(target=load, daemon=True)
        thread.start()
        time.sleep(SECONDS_BEFORE_KILL)
        procs[0].process.kill()
        procs[0].process.wait(10)
        killed = time.monotonic()
        time.sleep(SECONDS_AFTER_KILL / 2)
        # a Service created after the kill: the survivor must see it and start denying its port
        core.create_namespaced_service(
            namespace, service("late-owner", namespace, annotations={LB_ID: later_id}, ports=[("TCP", 443)])
        )
        created = time.monotonic()
        time.sleep(SECONDS_AFTER_KILL / 2)
        stop.set()
        thread.join(15)

    assert not thread.is_alive()
    assert tally.failed == [], tally.failed[:5]
    assert tally.wrong == [], tally.wrong[:5]
    assert tally.retried >= 1, "the client never met the dead replica"
    after_kill = [v for v in tally.verdicts if v[0] > killed]
    assert after_kill and all(allowed for t, _, allowed in after_kill if t < created), (
        "denied before creation"
    )
    denied_since = next((t for t, _, allowed in after_kill if not allowed), None)
    assert denied_since is not None, "the survivor never saw the Service created after the kill"
    assert all(not allowed for t, _, allowed in after_kill if t > denied_since + 0.5), "verdict flapped"
    print(
        f"\n{tally.answered} admissions answered, {tally.retried} retried on the other replica, 0 failed; "
        f"the survivor denied the new collision {denied_since - created:.2f}s after the Service was created"
    )


def _dir(tmp_path, i: int):
    path = tmp_path / f"webhook-{i}"
    path.mkdir()
    return path


def _denies(replica: RunningWebhook, namespace: str, lb_id: str) -> bool:
    with replica.client() as http:
        answer = http.post("/validate", json=guest(namespace, lb_id, 80)).json()
    return answer["response"]["allowed"] is False
