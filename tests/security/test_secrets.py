"""Credentials from cloud.conf (and the Redis password) never reach logs, Events, Services or `repr()`.

The process test runs the real `octavia-lb webhook`, `dispatcher` and `worker` with a cloud.conf whose
password and application-credential secret are distinctive strings, against a simulator that accepts exactly
those (or, in one case, rejects the password), reconciles a Service that succeeds and one that fails, and
greps everything they wrote: process logs, the namespace's Events and the Services themselves.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client import ApiClient
from octavia_lb_devkit.controlplane.cluster import Cluster
from octavia_lb_devkit.sim.seed import DEFAULT_SEED
from octavia_lb_devkit.sim.state import SimConfig
from octavia_lb_devkit.testing.certs import CertFiles
from octavia_lb_devkit.testing.samples import ANN, encode, review, service

from octavia_lb.common.config import CloudConfigError, load_cloud_config, parse_cloud_config
from octavia_lb.worker.settings import Settings
from tests.fixtures.simulator import OpenStackSim
from tests.fixtures.webhook import webhook_process
from tests.fixtures.worker import ProcessStarter, QueueEnv
from tests.polling import wait_for
from tests.reconcile.conftest import SELECTOR_LABEL, cloud_ids, lb_section
from tests.reconcile.test_processes import WORKER_ENV

PASSWORD = "pw-Zq8vN3kL7xT2-secret"
APP_SECRET = "ac-Hh4Rr9Ww1Yy6-secret"
SECRETS = (PASSWORD, APP_SECRET)
REPO = Path(__file__).resolve().parents[2]


def _seed() -> dict[str, Any]:
    seed = copy.deepcopy(DEFAULT_SEED)
    admin = next(user for user in seed["users"] if user["name"] == "admin")
    admin["password"] = PASSWORD
    seed["application_credentials"][0]["secret"] = APP_SECRET
    return seed


def global_section(url: str, auth: str) -> str:
    """`[Global]` holding both secrets; `auth` picks which one is sent (or a wrong password)."""
    password = "wrong-" + PASSWORD if auth == "wrong-password" else PASSWORD
    lines = [
        "[Global]",
        f"auth-url = {url}/identity/v3",
        "username = admin",
        f"password = {password}",
        "tenant-name = admin",
        "domain-id = default",
        "user-domain-id = default",
        "region = RegionOne",
        f"application-credential-secret = {APP_SECRET}",
    ]
    if auth == "application-credential":
        lines.append("application-credential-id = ac123")
    return "\n".join(lines) + "\n"


def _events(core: client.CoreV1Api, namespace: str) -> list[dict[str, Any]]:
    return [
        {"name": e.involved_object.name, "reason": e.reason, "type": e.type, "message": e.message}
        for e in core.list_namespaced_event(namespace).items
    ]


@pytest.mark.cluster
@pytest.mark.parametrize("auth", ["password", "application-credential", "wrong-password"])
def test_no_credential_in_logs_events_or_services(
    auth: str,
    cluster: Cluster,
    kube_api: ApiClient,
    namespace: str,
    tls_certs: CertFiles,
    start_openstack_sim: Callable[[SimConfig], OpenStackSim],
    queue_env: QueueEnv,
    start_worker: ProcessStarter,
    start_dispatcher: ProcessStarter,
    tmp_path: Path,
) -> None:
    sim = start_openstack_sim(SimConfig(seed=_seed()))
    run = f"s{uuid.uuid4().hex[:8]}"
    conf_text = global_section(sim.url, auth) + lb_section(cloud_ids(sim.control.state()), run)
    conf = tmp_path / "cloud.conf"
    conf.write_text(conf_text)
    core = client.CoreV1Api(kube_api)
    node = f"{run}-node"
    labels = {SELECTOR_LABEL: run}
    cluster.create_node(node, "10.0.0.91", labels=labels, provider_id=f"openstack:///{uuid.uuid4()}")
    try:
        logs = _exercise(auth, conf, conf_text, cluster, core, namespace, tls_certs, queue_env, start_worker,
                         start_dispatcher, tmp_path)
    finally:
        core.delete_node(node)
    items = core.list_namespaced_service(namespace).items
    services = [core.api_client.sanitize_for_serialization(s) for s in items]
    collected = {**logs, "events": json.dumps(_events(core, namespace)), "services": json.dumps(services)}
    for where, text in collected.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into {where}:\n{text[:3000]}"


def _exercise(  # noqa: PLR0913 - the test's real parts, passed through
    auth: str, conf: Path, conf_text: str, cluster: Cluster, core: client.CoreV1Api, namespace: str,
    tls_certs: CertFiles, queue_env: QueueEnv, start_worker: ProcessStarter,
    start_dispatcher: ProcessStarter, tmp_path: Path,
) -> dict[str, str]:
    extra = {
        **WORKER_ENV, "OCTAVIA_LB_CLOUD_CONFIG": str(conf), "OCTAVIA_LB_KUBECONFIG": str(cluster.kubeconfig)
    }
    worker = start_worker("--concurrency", "2", **extra)
    dispatcher = start_dispatcher(**extra)
    (tmp_path / "webhook").mkdir()
    with webhook_process(tls_certs, cluster.kubeconfig, tmp_path / "webhook", conf_text) as hook:
        with hook.running.client() as http:
            bad = service(annotations={ANN + "keep-floatingip": "True"})
            for body in (review("CREATE", service()), review("CREATE", bad)):
                assert http.post("/validate", content=encode(body)).status_code == 200
        ports = [{"name": "http", "port": 80, "protocol": "TCP"}]
        good = {"metadata": {"name": "good"}, "spec": {"type": "LoadBalancer", "ports": ports}}
        # a subnet that does not exist: admitted (a valid UUID), then fails in the worker
        broken = {
            "metadata": {"name": "broken", "annotations": {ANN + "subnet-id": str(uuid.uuid4())}},
            "spec": {"type": "LoadBalancer", "ports": ports},
        }
        for body in (good, broken):
            core.create_namespaced_service(namespace, body)
        wait_for("a failure Event for broken", lambda: _failed(core, namespace, "broken"))
        if auth == "wrong-password":
            wait_for("a failure Event for good", lambda: _failed(core, namespace, "good"))
        else:
            wait_for("an address for good", lambda: _address(core, namespace, "good"))
            core.delete_namespaced_service("good", namespace, _preload_content=False)
            wait_for("good to be cleaned up", lambda: "good" not in _names(core, namespace))
        lint = _lint(conf, tmp_path)
        webhook_log = hook.stderr()
    # control: the grep below reads logs that talk about this run
    assert "worker on" in worker.log and "good" in worker.log + dispatcher.log, "the logs say nothing"
    return {"worker": worker.log, "dispatcher": dispatcher.log, "webhook": webhook_log, "lint": lint}


def _failed(core: client.CoreV1Api, namespace: str, name: str) -> bool:
    events = _events(core, namespace)
    return any(e["name"] == name and e["reason"] == "SyncLoadBalancerFailed" for e in events)


def _address(core: client.CoreV1Api, namespace: str, name: str) -> str | None:
    lb = core.read_namespaced_service(name, namespace).status.load_balancer
    return lb.ingress[0].ip if lb and lb.ingress else None


def _names(core: client.CoreV1Api, namespace: str) -> set[str]:
    return {s.metadata.name for s in core.list_namespaced_service(namespace).items}


def _lint(conf: Path, tmp_path: Path) -> str:
    manifest = tmp_path / "svc.json"
    manifest.write_text(encode(service(annotations={ANN + "keep-floatingip": "True"})).decode())
    done = subprocess.run(
        [sys.executable, "-m", "octavia_lb", "lint", "--cloud-config", str(conf), str(manifest)],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout + done.stderr


# ---- repr() and error messages --------------------------------------------------------------------------


def test_repr_of_the_cloud_config_hides_both_secrets(tmp_path: Path) -> None:
    conf = tmp_path / "cloud.conf"
    conf.write_text(global_section("http://127.0.0.1:5000", "application-credential"))
    config = load_cloud_config(conf)
    assert config.global_opts.password == PASSWORD  # control: the secrets were read
    assert config.global_opts.application_credential_secret == APP_SECRET
    for text in (repr(config), str(config), repr(config.global_opts), f"{config.global_opts}"):
        assert PASSWORD not in text and APP_SECRET not in text
        assert "password=<set>" in text and "application_credential_secret=<set>" in text


def test_repr_of_the_worker_settings_hides_the_redis_password() -> None:
    settings = Settings(redis_url=f"redis://:{PASSWORD}@127.0.0.1:6379/0")
    assert PASSWORD not in repr(settings), repr(settings)


@pytest.mark.parametrize(
    "line",
    [
        f'password = "{PASSWORD}',  # unterminated quote
        f"password = {PASSWORD}\\q",  # bad escape
        f"password {PASSWORD}",  # missing =
        f'application-credential-secret = "{APP_SECRET}\\q"',
    ],
    ids=["unterminated-quote", "bad-escape", "missing-equals", "secret-bad-escape"],
)
def test_cloud_conf_syntax_errors_do_not_echo_a_secret(line: str) -> None:
    with pytest.raises(CloudConfigError) as raised:
        parse_cloud_config(f"[Global]\nusername = admin\n{line}\n", "cloud.conf")
    message = str(raised.value)
    assert "cloud.conf:3" in message  # control: the error still says where
    assert PASSWORD not in message and APP_SECRET not in message, message


def test_webhook_start_up_error_does_not_print_the_password(tmp_path: Path, tls_certs: CertFiles) -> None:
    conf = tmp_path / "cloud.conf"
    conf.write_text(f'[Global]\nusername = admin\npassword = "{PASSWORD}\n')
    done = subprocess.run(
        [sys.executable, "-m", "octavia_lb", "webhook", "--cloud-config", str(conf), "--tls-cert",
         str(tls_certs.cert), "--tls-key", str(tls_certs.key), "--host", "127.0.0.1", "--port", "0"],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )
    # control: it did fail, and says where
    assert done.returncode == 2 and "cloud.conf:3" in done.stderr, done.stderr
    assert PASSWORD not in done.stdout + done.stderr, done.stderr
