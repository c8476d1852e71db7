"""`octavia-lb plan` offline, run as the installed console script: the worker's create for each Service,
exit codes like `lint`, Nodes from the input or `--node`, serial mode, security groups, JSON output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PLAN = [str(ROOT / ".venv" / "bin" / "octavia-lb"), "plan"]
CONF = ["--cloud-config", str(EXAMPLES / "cloud.conf")]
LB = "kube_service_kubernetes_default_{}"
SVC = """
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: default, annotations: {{{annotations}}}}}
spec:
  type: LoadBalancer
  ports: [{{name: http, port: 80, nodePort: 31080, protocol: TCP}}]
"""


def plan(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PLAN, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def lines_of(result: subprocess.CompletedProcess[str], service: str) -> list[str]:
    prefix = f"{service}: "
    return [line.removeprefix(prefix) for line in result.stdout.splitlines() if line.startswith(prefix)]


def svc(annotations: str = "") -> str:
    return SVC.format(annotations=annotations)


def test_good_examples_plan_the_fully_populated_create_and_the_floating_ip() -> None:
    files = sorted(str(p) for p in (EXAMPLES / "good").glob("*.yaml"))
    result = plan(*CONF, *files)
    assert result.returncode == 0, result.stderr
    basic = lines_of(result, "default/loadbalanced-service")
    name = LB.format("loadbalanced-service")
    subnet, public, fip_subnet = (
        "fa6a4e6c-6ae4-4dde-ae86-3e2f452c1f03",
        "a57af0a0-da92-49be-a98a-345ceca004b3",
        "a02eb6c3-fc69-46ae-a3fe-fb43c1563cbc",
    )
    assert basic == [
        "note: spec.ports[0].nodePort is not allocated yet; 30000 stands for it",
        "note: placeholder nodes node-1..3 (Node objects in the input or --node NAME=IP give real ones)",
        f"1. create loadbalancer {name}: description Kubernetes external service "
        f"default/loadbalanced-service from cluster kubernetes, provider amphora, tags [{name}], "
        f"vip_subnet_id {subnet}",
        f"1. create listener listener_0_{name}: protocol TCP, protocol_port 80, connection_limit -1, "
        f"tags [{name}], timeout_client_data 50000, timeout_member_connect 5000, timeout_member_data 50000, "
        "timeout_tcp_inspect 0, allowed_cidrs [0.0.0.0/0]",
        f"1. create pool pool_0_{name}: protocol TCP, lb_algorithm ROUND_ROBIN",
        f"1. create member node-1: address 192.0.2.11, protocol_port 30000, subnet_id {subnet}",
        f"1. create member node-2: address 192.0.2.12, protocol_port 30000, subnet_id {subnet}",
        f"1. create member node-3: address 192.0.2.13, protocol_port 30000, subnet_id {subnet}",
        f"2. create floatingip on {public}: floating_network_id {public}, port_id (VIP port of the new "
        "load balancer), description Floating IP for Kubernetes external service "
        f"default/loadbalanced-service from cluster kubernetes, subnet_id {fip_subnet}",
        f"7 changes in 2 writes (load balancer {name})",
    ]
    # internal: no floating IP; a class's floating network; proxy protocol pools; a fixed floating IP
    assert not any("floatingip" in line for line in lines_of(result, "default/internal-api"))
    assert any(
        line.startswith("2. create floatingip on c57af0a0-da92-49be-a98a-345ceca004b3:")
        for line in lines_of(result, "default/nginx-internet")
    )
    ingress = lines_of(result, "nginx-ingress/nginx-ingress")
    assert sum(" create pool " in line and "protocol PROXY" in line for line in ingress) == 2
    fixed = [line for line in lines_of(result, "default/nginx-fixed-ip") if "floatingip" in line]
    assert len(fixed) == 1 and "floating_ip_address 122.112.219.229" in fixed[0]
    # sharing by id: this Service's tag on the load balancer, then its listener tree in one write
    shared = lines_of(result, "default/service-2")
    lb_id = "2b224530-9414-4302-8163-5abebdcdc84f"
    assert f"1. update loadbalancer {lb_id}: tags [] → [{LB.format('service-2')}]" in shared
    assert any(line.startswith(f"2. create listener listener_0_{LB.format('service-2')}:") for line in shared)
    assert shared[-1] == f"6 changes in 2 writes (load balancer {lb_id})"


def test_denied_services_are_not_planned_and_exit_1_with_lints_message() -> None:
    result = plan(*CONF, str(EXAMPLES / "bad" / "bool.yaml"), str(EXAMPLES / "good" / "internal.yaml"))
    assert result.returncode == 1
    [denied] = lines_of(result, "default/bad-bool")
    assert denied.startswith('denied: loadbalancer.openstack.org/keep-floatingip: "True" is not a boolean')
    assert lines_of(result, "default/internal-api")[-1].startswith("6 changes in 1 write")


def test_unreadable_input_cloud_conf_or_node_exits_2(tmp_path: Path) -> None:
    assert plan(str(tmp_path / "missing.yaml")).returncode == 2
    broken = tmp_path / "cloud.conf"
    broken.write_text("[LoadBalancer]\nmax-shared-lb = many\n")
    result = plan("--cloud-config", str(broken), "-", stdin=svc())
    assert result.returncode == 2 and "max-shared-lb" in result.stderr
    result = plan("--node", "node-a=not-an-ip", "-", stdin=svc())
    assert result.returncode == 2 and "'not-an-ip' is not an IP address" in result.stderr


def test_nodes_from_node_option_and_from_node_objects_in_the_input() -> None:
    result = plan(*CONF, "--node", "w1=10.1.0.1", "--node", "w2=10.1.0.2,fd00::2", "-", stdin=svc())
    members = [line for line in lines_of(result, "default/web") if " create member " in line]
    assert [m.split(":")[0] for m in members] == ["1. create member w1", "1. create member w2"]
    assert "address 10.1.0.2, protocol_port 31080" in members[1]
    nodes = """
apiVersion: v1
kind: List
items:
- {kind: Node, apiVersion: v1, metadata: {name: n-b},
   status: {addresses: [{type: InternalIP, address: 10.2.0.2}]}}
- {kind: Node, apiVersion: v1, metadata: {name: n-a},
   status: {addresses: [{type: InternalIP, address: 10.2.0.1}]}}
- kind: Node
  apiVersion: v1
  metadata: {name: n-out, labels: {node.kubernetes.io/exclude-from-external-load-balancers: "true"}}
  status: {addresses: [{type: InternalIP, address: 10.2.0.3}]}
"""
    result = plan(*CONF, "-", stdin=svc() + "---" + nodes)
    members = [line.split(":")[0] for line in lines_of(result, "default/web") if " create member " in line]
    assert members == ["1. create member n-a", "1. create member n-b"]  # sorted, the excluded one left out
    assert not any("placeholder" in line for line in lines_of(result, "default/web"))


def test_placeholder_nodes_match_the_node_selector() -> None:
    result = plan(*CONF, "-", stdin=svc('loadbalancer.openstack.org/node-selector: "role=edge"'))
    assert sum(" create member node-" in line for line in lines_of(result, "default/web")) == 3


def test_serial_mode_plans_one_write_per_object(tmp_path: Path) -> None:
    conf = tmp_path / "cloud.conf"
    conf.write_text(
        (EXAMPLES / "cloud.conf")
        .read_text()
        .replace("max-shared-lb = 2", "max-shared-lb = 2\nprovider-requires-serial-api-calls = true")
    )
    result = plan(
        "--cloud-config", str(conf), "--node", "a=10.0.0.1", "--node", "b=10.0.0.2", "-", stdin=svc()
    )
    assert result.returncode == 0, result.stderr
    heads = [line.split(":")[0] for line in lines_of(result, "default/web")]
    name = LB.format("web")
    assert heads == [
        f"1. create loadbalancer {name}",
        "2. create floatingip on a57af0a0-da92-49be-a98a-345ceca004b3",
        f"3. create listener listener_0_{name}",
        f"4. create pool pool_0_{name}",
        "5. create member member_a_10.0.0.1_31080",
        "6. create member member_b_10.0.0.2_31080",
        f"6 changes in 6 writes (load balancer {name})",
    ]


def test_manage_security_groups_adds_the_group_and_a_rule_per_node_port(tmp_path: Path) -> None:
    conf = tmp_path / "cloud.conf"
    conf.write_text(
        (EXAMPLES / "cloud.conf").read_text() + "\n[LoadBalancer]\nmanage-security-groups = true\n"
    )
    result = plan("--cloud-config", str(conf), "-", stdin=svc())
    heads = [line.split(":")[0] for line in lines_of(result, "default/web")]
    assert "3. create security_group lb-sg-(uid)-default-web" in heads
    assert "4. create security_group_rule tcp 31080" in heads


def test_json_output_has_the_documented_schema() -> None:
    result = plan(
        *CONF,
        "--output",
        "json",
        str(EXAMPLES / "good" / "health-monitor.yaml"),
        str(EXAMPLES / "bad" / "int.yaml"),
    )
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert (doc["schema"], doc["mode"], doc["cluster"]) == (1, "offline", "kubernetes")
    good, bad = doc["services"]
    assert set(good) == {
        "service",
        "verdict",
        "message",
        "warnings",
        "notes",
        "load_balancer",
        "complete",
        "writes",
        "changes",
    }
    assert (good["verdict"], good["complete"], good["writes"]) == ("changes", True, 2)
    assert good["load_balancer"] == {"id": "", "name": LB.format("local-traffic")}
    monitor = next(c for c in good["changes"] if c["kind"] == "healthmonitor")
    assert monitor == {
        "step": 1,
        "action": "create",
        "kind": "healthmonitor",
        "name": f"monitor_0_{LB.format('local-traffic')}",
        "call": "create_load_balancer",
        "fields": {
            "name": f"monitor_0_{LB.format('local-traffic')}",
            "type": "HTTP",
            "delay": 10,
            "timeout": 5,
            "max_retries": 2,
            "max_retries_down": 3,
            "http_method": "GET",
            "url_path": "/healthz",
            "expected_codes": "200",
        },
    }
    assert bad["verdict"] == "denied" and bad["changes"] == [] and "connection-limit" in bad["message"]
    assert doc["summary"] == {
        "services": 2,
        "with_changes": 1,
        "changes": len(good["changes"]),
        "denied": 1,
        "errors": 0,
    }


def test_a_service_the_controller_does_not_manage_has_no_changes() -> None:
    cluster_ip = "apiVersion: v1\nkind: Service\nmetadata: {name: plain}\nspec: {ports: [{port: 80}]}\n"
    result = plan(*CONF, "-", stdin=cluster_ip)
    assert result.returncode == 0
    assert lines_of(result, "default/plain") == [
        "no changes: not a Service this controller manages (type ClusterIP)"
    ]
