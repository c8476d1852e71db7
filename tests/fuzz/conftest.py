"""The fuzz run's one long-lived server: the real `octavia-lb webhook` process, watching the real apiserver.

`fuzzer` sends every input over one keep-alive HTTPS connection, checks each answer with `oracle`, and
counts what it sent. When the module ends it checks that the process is still alive, that /metrics counted
exactly the requests sent and that its internal-error counter never moved.

`FUZZ_EXAMPLES` (default 10,000) is the number of generated inputs shared among the tests; CI runs the
default with a fixed derandomised, database-less profile, long runs raise it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, settings
from octavia_lb_devkit.controlplane.cluster import Cluster
from octavia_lb_devkit.testing.certs import CertFiles
from prometheus_client.parser import text_string_to_metric_families

from tests.fixtures.webhook import WebhookProcess, webhook_process
from tests.fuzz.oracle import Sent, check_answer, patched_object

TOTAL_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10000"))

# A class and a provider that ignores some annotations, so class lookups and provider warnings are reached.
FUZZ_CLOUD_CONF = """[Global]
auth-url = http://127.0.0.1:5000/v3

[LoadBalancer]
lb-provider = ovn
max-shared-lb = 3

[LoadBalancerClass "gold"]
floating-network-id = 3f1c6a9e-8a52-4d8e-9a43-6f1d2b7c9e10
"""


def fuzz_settings(share: float) -> settings:
    """Fixed, database-less exploration: the same `share` of FUZZ_EXAMPLES inputs on every run."""
    return settings(
        max_examples=max(1, round(TOTAL_EXAMPLES * share)),
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )


@dataclass
class Fuzzer:
    """Sends bodies to the webhook under test and checks every answer."""

    server: WebhookProcess
    client: httpx.Client
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def post(self, sent: Sent, must_answer: bool = False) -> dict | None:
        reply = self.client.post(sent.path, content=sent.body, headers={"content-type": "application/json"})
        self.sent += 1
        self.statuses[reply.status_code] = self.statuses.get(reply.status_code, 0) + 1
        response = check_answer(sent, reply, must_answer)
        if response is not None and "patch" in response and sent.review is not None:
            self._check_idempotent(sent, response)
        return response

    def review(self, path: str, review: dict, must_answer: bool = False) -> dict | None:
        return self.post(Sent(path, orjson.dumps(review), review), must_answer)

    def _check_idempotent(self, sent: Sent, response: dict) -> None:
        # the apiserver applies the patch and may call us again: the second answer must change nothing
        after = patched_object(response, sent.review["request"]["object"])
        again = {**sent.review, "request": {**sent.review["request"], "object": after}}
        second = self.review("/mutate", again, must_answer=True)
        assert second is not None and "patch" not in second, f"patch is not idempotent: {second}"


def metric_samples(text: str, name: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    )


def check_server_survived(fuzzer: Fuzzer) -> None:
    process = fuzzer.server.process
    assert process.poll() is None, f"the webhook died:\n{fuzzer.server.stderr()[-3000:]}"
    text = fuzzer.client.get("/metrics").text
    errors = metric_samples(text, "octavia_lb_webhook_internal_errors_total")
    assert errors == 0, f"{errors:g} internal errors:\n{fuzzer.server.stderr()[-3000:]}"
    answered = metric_samples(text, "octavia_lb_webhook_admissions_total") + metric_samples(
        text, "octavia_lb_webhook_bad_requests_total"
    )
    assert answered == fuzzer.sent, f"/metrics counted {answered} answers for {fuzzer.sent} requests"
    assert "Traceback" not in fuzzer.server.stderr()


@pytest.fixture(scope="module")
def fuzzer(
    cluster: Cluster, tls_certs: CertFiles, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fuzzer]:
    workdir: Path = tmp_path_factory.mktemp("fuzz-webhook")
    with (
        webhook_process(tls_certs, cluster.kubeconfig, workdir, FUZZ_CLOUD_CONF) as server,
        server.running.client() as client,
    ):
        _wait_ready(client)
        fuzz = Fuzzer(server, client)
        yield fuzz
        RUNS.append((fuzz.sent, time.monotonic() - fuzz.started, dict(sorted(fuzz.statuses.items()))))
        check_server_survived(fuzz)


def _wait_ready(client: httpx.Client, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the webhook's Services cache never synced"
        time.sleep(0.2)


RUNS: list[tuple[int, float, dict[int, int]]] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: many generated inputs against a real server (FUZZ_EXAMPLES)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for sent, seconds, statuses in RUNS:
        terminalreporter.write_line(
            f"fuzz: {sent} requests to the webhook process in {seconds:.1f} s "
            f"({sent / seconds:.0f}/s), HTTP statuses {statuses}"
        )
