"""`octavia-lb dev up` and `status` on one real stack: parts healthy, kubectl acts as on a real cluster."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import time
from pathlib import Path

import openstack
import pytest
from octavia_lb_devkit.dev.cloud import CLOUD_NAME, SHARED_LB_FIP, SHARED_LB_ID, SHARED_LB_NAME
from octavia_lb_devkit.dev.layout import PART_ORDER
from openstack.config import OpenStackConfig

from octavia_lb.common.config import load_cloud_config
from tests.dev.conftest import DevStack, run_dev
from tests.dev.helpers import alive, recorded_pids, recorded_ports

pytestmark = pytest.mark.cluster
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXTERNAL_IP_TIMEOUT_S = 60


def test_up_prints_every_part_and_how_to_use_it(dev_stack: DevStack) -> None:
    for name in PART_ORDER:
        assert f"[dev] {name}:" in dev_stack.up_output
    assert f"export KUBECONFIG={dev_stack.state.resolve() / 'kubeconfig'}" in dev_stack.up_output
    assert "octavia-lb dev down --state-dir" in dev_stack.up_output


def test_status_reports_every_part_healthy(dev_stack: DevStack) -> None:
    done = run_dev(dev_stack.state, "status")
    assert done.returncode == 0, done.stdout
    lines = {line.split()[0]: line for line in done.stdout.splitlines()[1:]}
    assert sorted(lines) == sorted(PART_ORDER)
    pids, ports = recorded_pids(dev_stack.state), recorded_ports(dev_stack.state)
    for name in PART_ORDER:
        assert f" {pids[name]} " in lines[name] and f" {ports[name]} " in lines[name]
        assert "healthy (" in lines[name] and "UNHEALTHY" not in lines[name]


def test_one_log_file_per_process(dev_stack: DevStack) -> None:
    for name in PART_ORDER:
        log = dev_stack.state / f"{name}.log"
        assert log.is_file(), f"{log} missing"


def test_three_nodes_with_addresses_labels_and_provider_ids(dev_stack: DevStack) -> None:
    nodes = json.loads(dev_stack.kubectl("get", "nodes", "-o", "json", check=True).stdout)["items"]
    assert sorted(n["metadata"]["name"] for n in nodes) == ["node-1", "node-2", "node-3"]
    for node in nodes:
        assert node["spec"]["providerID"].startswith("openstack:///")
        internal = [a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"]
        assert internal and ipaddress.ip_address(internal[0]) in ipaddress.ip_network("10.0.1.0/24")
        assert node["metadata"]["labels"]["region"] == "default"


def test_cloud_conf_uses_the_examples_ids(dev_stack: DevStack) -> None:
    ours = load_cloud_config(dev_stack.state / "cloud.conf")
    theirs = load_cloud_config(EXAMPLES / "cloud.conf")
    assert ours.load_balancer.floating_network_id == theirs.load_balancer.floating_network_id
    assert ours.load_balancer.floating_subnet_id == theirs.load_balancer.floating_subnet_id
    assert ours.load_balancer.subnet_id == theirs.load_balancer.subnet_id
    assert set(ours.classes) == set(theirs.classes)
    for name, wanted in theirs.classes.items():
        assert ours.classes[name] == wanted, name


def test_clouds_yaml_reaches_the_simulator_with_the_seeded_networks(dev_stack: DevStack) -> None:
    conf = load_cloud_config(dev_stack.state / "cloud.conf")
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(dev_stack.state / "clouds.yaml")
    try:
        conn = openstack.connect(cloud="local")
        network = conn.network.get_network(conf.load_balancer.floating_network_id)
        ports = list(
            conn.network.ports(network_id=conn.network.get_subnet(conf.load_balancer.subnet_id).network_id)
        )
    finally:
        del os.environ["OS_CLIENT_CONFIG_FILE"]
    assert network.is_router_external
    node_ports = [p for p in ports if p.device_owner == "compute:nova"]
    assert sorted(p.fixed_ips[0]["ip_address"] for p in node_ports) == ["10.0.1.11", "10.0.1.12", "10.0.1.13"]


def test_bad_example_is_denied_with_the_webhooks_message(dev_stack: DevStack) -> None:
    done = dev_stack.kubectl("apply", "-f", str(EXAMPLES / "bad" / "monitor-timeout.yaml"))
    assert done.returncode != 0
    assert 'admission webhook "validate.loadbalancer.openstack.org" denied the request' in done.stderr
    assert 'health-monitor-timeout: "10" must be less than health-monitor-delay ("5")' in done.stderr


def test_good_example_is_stored_with_the_finalizer_and_gets_an_external_ip(dev_stack: DevStack) -> None:
    dev_stack.kubectl("apply", "-f", str(EXAMPLES / "good" / "basic.yaml"), check=True)
    service = _service(dev_stack, "loadbalanced-service")
    assert "loadbalancer.openstack.org/cleanup" in service["metadata"]["finalizers"]
    deadline = time.monotonic() + EXTERNAL_IP_TIMEOUT_S
    while not service["status"].get("loadBalancer", {}).get("ingress"):
        assert time.monotonic() < deadline, (
            f"no EXTERNAL-IP after {EXTERNAL_IP_TIMEOUT_S}s: {service['status']}"
        )
        time.sleep(0.5)
        service = _service(dev_stack, "loadbalanced-service")
    address = ipaddress.ip_address(service["status"]["loadBalancer"]["ingress"][0]["ip"])
    assert address in ipaddress.ip_network("122.112.219.0/24")  # the floating subnet of cloud.conf


def test_deleting_a_service_finishes_through_the_webhook_and_removes_its_load_balancer(
    dev_stack: DevStack,
) -> None:
    """The worker drops the annotations and finalizer of a Service being deleted; the webhook admits it."""
    dev_stack.kubectl("apply", "-f", str(EXAMPLES / "good" / "basic.yaml"), check=True)
    deadline = time.monotonic() + EXTERNAL_IP_TIMEOUT_S
    lb_key = "loadbalancer.openstack.org/load-balancer-id"
    while lb_key not in (annotations := _service(dev_stack, "loadbalanced-service")["metadata"].get(
        "annotations", {}
    )):
        assert time.monotonic() < deadline, "no load balancer was recorded on the Service"
        time.sleep(0.5)
    lb_id = annotations[lb_key]
    dev_stack.kubectl("delete", "svc", "loadbalanced-service", "-n", "default", "--wait=false", check=True)
    deadline = time.monotonic() + EXTERNAL_IP_TIMEOUT_S
    while (got := dev_stack.kubectl("get", "svc", "loadbalanced-service", "-n", "default")).returncode == 0:
        assert time.monotonic() < deadline, f"the Service is still there after {EXTERNAL_IP_TIMEOUT_S}s"
        time.sleep(0.5)
    assert "NotFound" in got.stderr
    assert _cloud(dev_stack).load_balancer.find_load_balancer(lb_id) is None


def test_shared_pair_gets_the_floating_ip_of_the_load_balancer_made_by_hand(dev_stack: DevStack) -> None:
    """OCCM's shared case: a load balancer made outside the cluster, joined by id, never deleted by us."""
    dev_stack.kubectl("apply", "-f", str(EXAMPLES / "good" / "shared-pair.yaml"), check=True)
    deadline = time.monotonic() + EXTERNAL_IP_TIMEOUT_S
    while (ips := _ingress_ips(dev_stack, "service-1", "service-2")) != [SHARED_LB_FIP, SHARED_LB_FIP]:
        assert time.monotonic() < deadline, f"no shared EXTERNAL-IP after {EXTERNAL_IP_TIMEOUT_S}s: {ips}"
        time.sleep(0.5)
    for name in ("service-1", "service-2"):
        annotations = _service(dev_stack, name)["metadata"]["annotations"]
        assert annotations["loadbalancer.openstack.org/load-balancer-id"] == SHARED_LB_ID
        assert annotations["loadbalancer.openstack.org/load-balancer-address"] == SHARED_LB_FIP
    conn = _cloud(dev_stack)
    listeners = {listener.protocol_port: listener.name for listener in _shared_listeners(conn)}
    assert listeners == {
        80: "listener_0_kube_service_kubernetes_default_service-1",
        8080: "listener_0_kube_service_kubernetes_default_service-2",
    }
    dev_stack.kubectl("delete", "-f", str(EXAMPLES / "good" / "shared-pair.yaml"), "--wait=false", check=True)
    deadline = time.monotonic() + EXTERNAL_IP_TIMEOUT_S
    while _shared_listeners(conn) or _tags(conn) != ["by-hand"]:
        assert time.monotonic() < deadline, f"the pair's listeners or tags stayed: {_tags(conn)}"
        time.sleep(0.5)
    for name in ("service-1", "service-2"):  # the finalizers were removed, so the Services are gone
        while dev_stack.kubectl("get", "svc", name, "-n", "default").returncode == 0:
            assert time.monotonic() < deadline, f"default/{name} is still there"
            time.sleep(0.5)
    lb = conn.load_balancer.wait_for_load_balancer(SHARED_LB_ID, interval=0.2, wait=30)  # not ours to delete
    assert (lb.name, lb.provisioning_status, lb.tags) == (SHARED_LB_NAME, "ACTIVE", ["by-hand"])
    assert [f.floating_ip_address for f in conn.network.ips(port_id=lb.vip_port_id)] == [SHARED_LB_FIP]


def test_up_again_keeps_every_running_part(dev_stack: DevStack) -> None:
    before = recorded_pids(dev_stack.state)
    done = run_dev(dev_stack.state, "up")
    assert done.returncode == 0, done.stdout + done.stderr
    assert recorded_pids(dev_stack.state) == before
    for name in PART_ORDER:
        assert f"[dev] {name}:" in done.stdout and f"kept (pid {before[name]}," in done.stdout


def test_a_dead_part_is_reported_and_restarted_alone(dev_stack: DevStack) -> None:
    before = recorded_pids(dev_stack.state)
    os.kill(before["dispatcher"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(before["dispatcher"]):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    status = run_dev(dev_stack.state, "status")
    assert status.returncode == 3
    assert "UNHEALTHY (process not running)" in _line(status.stdout, "dispatcher")
    done = run_dev(dev_stack.state, "up")
    assert done.returncode == 0, done.stdout + done.stderr
    after = recorded_pids(dev_stack.state)
    assert after["dispatcher"] != before["dispatcher"]
    assert {k: v for k, v in after.items() if k != "dispatcher"} == {
        k: v for k, v in before.items() if k != "dispatcher"
    }
    assert run_dev(dev_stack.state, "status").returncode == 0


def test_unknown_profile_is_refused_naming_the_value(tmp_path: Path) -> None:
    env = {**os.environ, "OCTAVIA_LB_DEV_PROFILE": "slow"}
    done = run_dev(tmp_path / "state", "up", env=env)
    assert done.returncode == 2
    assert "--profile: 'slow' must be one of fast, realistic" in done.stderr
    assert not (tmp_path / "state" / "pids").exists()


def _ingress_ips(stack: DevStack, *names: str) -> list[str | None]:
    ips = []
    for name in names:
        ingress = (_service(stack, name).get("status") or {}).get("loadBalancer", {}).get("ingress") or [{}]
        ips.append(ingress[0].get("ip"))
    return ips


def _shared_listeners(conn: openstack.connection.Connection) -> list:
    """The shared load balancer's listeners, by each listener's `loadbalancers` reference."""
    return [
        listener
        for listener in conn.load_balancer.listeners()
        if {"id": SHARED_LB_ID} in listener.load_balancers
    ]


def _tags(conn: openstack.connection.Connection) -> list[str]:
    return sorted(conn.load_balancer.get_load_balancer(SHARED_LB_ID).tags)


def _cloud(stack: DevStack) -> openstack.connection.Connection:
    config = OpenStackConfig(config_files=[str(stack.state / "clouds.yaml")]).get_one(cloud=CLOUD_NAME)
    return openstack.connection.Connection(config=config)


def _service(stack: DevStack, name: str) -> dict:
    return json.loads(stack.kubectl("get", "svc", name, "-n", "default", "-o", "json", check=True).stdout)


def _line(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if line.split()[:1] == [name])
