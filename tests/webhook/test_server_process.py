"""`octavia-lb webhook` as a real process: HTTPS, ready once its cache syncs, clean exit on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from octavia_lb_devkit.testing.certs import CertFiles
from octavia_lb_devkit.testing.listwatch_standin import ListWatchServer
from octavia_lb_devkit.testing.samples import ANN, LB_ID, encode, review, service

from tests.fixtures.webhook import REPO, webhook_process


def test_ready_after_sync_then_answers_and_stops_on_sigterm(
    listwatch: ListWatchServer, tls_certs: CertFiles, tmp_path: Path
) -> None:
    listwatch.list_gate.clear()  # hold the first list: the process must not claim readiness before it
    listwatch.put(
        service("api", "team-b", annotations={ANN + "load-balancer-id": LB_ID}, ports=[("TCP", 80)])
    )
    kubeconfig = listwatch.write_kubeconfig(tmp_path / "kubeconfig")
    with webhook_process(tls_certs, kubeconfig, tmp_path) as proc, proc.running.client() as client:
        assert client.get("/healthz").status_code == 200
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503 and "not synced" in not_ready.text
        listwatch.list_gate.set()
        deadline = time.monotonic() + 10
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "never became ready"
            time.sleep(0.05)
        # the peer from the cluster's cache takes part in the sharing rules
        svc = service(annotations={ANN + "load-balancer-id": LB_ID}, ports=[("TCP", 80)])
        answer = client.post("/validate", content=encode(review("CREATE", svc))).json()["response"]
        assert answer["allowed"] is False and "team-b/api" in answer["status"]["message"]
        proc.process.send_signal(signal.SIGTERM)
        assert proc.process.wait(15) == 0
    assert "stopped by signal 15" in proc.stderr()


def test_bad_flags_exit_2_with_a_message(tls_certs: CertFiles, tmp_path: Path) -> None:
    bad_conf = tmp_path / "cloud.conf"
    bad_conf.write_text("[LoadBalancer]\ncreate-monitor = maybe\n")
    base = [sys.executable, "-m", "octavia_lb", "webhook", "--port", "0", "--host", "127.0.0.1"]
    cases = [
        (
            [
                "--cloud-config",
                str(bad_conf),
                "--tls-cert",
                str(tls_certs.cert),
                "--tls-key",
                str(tls_certs.key),
            ],
            "create-monitor",
        ),
        (
            [
                "--cloud-config",
                str(tmp_path / "none.conf"),
                "--tls-cert",
                str(tls_certs.cert),
                "--tls-key",
                str(tls_certs.key),
            ],
            "none.conf",
        ),
        (
            [
                "--cloud-config",
                str(bad_conf.with_name("ok.conf")),
                "--tls-cert",
                str(tmp_path / "x.crt"),
                "--tls-key",
                str(tls_certs.key),
            ],
            "--tls-cert",
        ),
    ]
    bad_conf.with_name("ok.conf").write_text("[LoadBalancer]\n")
    for args, fragment in cases:
        done = subprocess.run(base + args, cwd=REPO, capture_output=True, text=True, timeout=30)
        assert done.returncode == 2, done.stderr
        assert fragment in done.stderr
