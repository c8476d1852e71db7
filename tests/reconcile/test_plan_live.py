"""`octavia-lb plan --live` as the installed console script against the real kube-apiserver and the simulator:
it lists exactly the writes the worker then makes, and makes none itself."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
OCTAVIA_LB = str(ROOT / ".venv" / "bin" / "octavia-lb")
TOKENS = "POST /identity/v3/auth/tokens"  # authenticating is a POST, and the only one a plan may make
A = "loadbalancer.openstack.org/"


def writes(env: Any) -> dict[str, int]:
    """The simulator's write calls since the last clear, Keystone's token request left out."""
    counts = env.sim.control.counts()
    return {k: v for k, v in counts.items() if k.split()[0] in ("POST", "PUT", "DELETE") and k != TOKENS}


def plan(env: Any, tmp_path: Path, *services: dict[str, Any], output: str = "json") -> tuple[int, Any]:
    manifest = tmp_path / "services.yaml"
    manifest.write_text(yaml.safe_dump_all(list(services)))
    settings = env.context.settings
    result = subprocess.run(
        [
            OCTAVIA_LB,
            "plan",
            "--live",
            "--output",
            output,
            "--cloud-config",
            settings.cloud_config,
            "--kubeconfig",
            settings.kubeconfig,
            "--cluster-name",
            settings.cluster_name,
            str(manifest),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout) if output == "json" else result.stdout


def manifest(env: Any, name: str, ports: list[dict[str, Any]], annotations: dict[str, str]) -> dict[str, Any]:
    """What a user would apply: no nodePorts, no controller annotations (the stored Service has them)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": env.namespace, "annotations": annotations},
        "spec": {"type": "LoadBalancer", "ports": ports},
    }


def _calls(service_plan: dict[str, Any]) -> list[tuple[int, str]]:
    return sorted({(c["step"], c["call"]) for c in service_plan["changes"]})


def test_live_plan_lists_the_update_the_worker_makes_and_writes_nothing(reconcile_env, tmp_path):
    env = reconcile_env()
    env.add_node("a", "10.0.0.11")
    env.add_node("b", "10.0.0.12")
    http = {"name": "http", "port": 80, "protocol": "TCP"}
    env.create_service("web", [http])
    env.drive("web")
    [lb] = env.lbs()
    version = env.service("web").metadata.resource_version

    # in step: nothing to do
    env.sim.control.clear_counts()
    code, doc = plan(env, tmp_path, manifest(env, "web", [http], {}))
    [web] = doc["services"]
    assert (code, web["verdict"], web["changes"]) == (0, "no-changes", [])
    assert web["load_balancer"] == {"id": lb["id"], "name": lb["name"]}
    assert writes(env) == {}

    # lb-method changes: exactly one pool update, old → new
    changed = manifest(env, "web", [http], {A + "lb-method": "LEAST_CONNECTIONS"})
    env.sim.control.clear_counts()
    code, doc = plan(env, tmp_path, changed)
    [web] = doc["services"]
    assert code == 0 and web["verdict"] == "changes" and web["complete"] is True
    [change] = web["changes"]
    assert (change["action"], change["kind"], change["call"], change["step"]) == (
        "update",
        "pool",
        "update_pool",
        1,
    )
    assert change["name"] == f"pool_0_{lb['name']}"
    assert change["fields"] == {"lb_algorithm": {"old": "ROUND_ROBIN", "new": "LEAST_CONNECTIONS"}}
    assert writes(env) == {}, "a plan must not write to the cloud"
    assert env.service("web").metadata.resource_version == version, "a plan must not write to the cluster"

    # the worker then makes exactly that write, and nothing else
    env.patch_service("web", {"metadata": {"annotations": {A + "lb-method": "LEAST_CONNECTIONS"}}})
    env.sim.control.clear_counts()
    env.drive("web")
    made = writes(env)
    assert list(made.values()) == [1] and next(iter(made)).startswith("PUT ") and "pools" in next(iter(made))
    [pool] = env.octavia("pools")
    assert pool["lb_algorithm"] == "LEAST_CONNECTIONS"

    # a port added: one listener create with its pool and members nested (one write), as the worker does
    https = {"name": "https", "port": 443, "protocol": "TCP"}
    env.sim.control.clear_counts()
    code, doc = plan(
        env, tmp_path, manifest(env, "web", [http, https], {A + "lb-method": "LEAST_CONNECTIONS"})
    )
    [web] = doc["services"]
    assert code == 0 and _calls(web) == [(1, "create_listener")]
    assert [(c["kind"], c["name"]) for c in web["changes"]] == [
        ("listener", f"listener_1_{lb['name']}"),
        ("pool", f"pool_1_{lb['name']}"),
        ("member", f"{env.run}-a"),
        ("member", f"{env.run}-b"),
    ]
    assert web["changes"][0]["fields"]["protocol_port"] == 443
    assert any("spec.ports[1].nodePort is not allocated yet" in n for n in web["notes"])
    assert writes(env) == {}
    # applied keeping http's NodePort (a replace without it would make Kubernetes allocate a new one)
    node_port = env.service("web").spec.ports[0].node_port
    env.set_ports("web", [{**http, "nodePort": node_port}, https])
    env.sim.control.clear_counts()
    env.drive("web")
    made = writes(env)
    assert (
        sum(made.values()) == 1 and next(iter(made)).startswith("POST ") and "listeners" in next(iter(made))
    )

    # a node leaves: one batch member update per pool, old → new names
    env.remove_node("b")
    code, doc = plan(
        env, tmp_path, manifest(env, "web", [http, https], {A + "lb-method": "LEAST_CONNECTIONS"})
    )
    [web] = doc["services"]
    assert _calls(web) == [(1, "replace_members"), (2, "replace_members")]
    for change in web["changes"]:
        old, new = change["fields"]["members"]["old"], change["fields"]["members"]["new"]
        assert len(old) == 2 and len(new) == 1 and new[0].startswith(f"{env.run}-a 10.0.0.11:")
    env.sim.control.clear_counts()
    env.drive("web")
    made = writes(env)
    assert sum(made.values()) == 2 and all(k.startswith("PUT ") and k.endswith("/members") for k in made), (
        made
    )


def test_live_plan_of_a_new_service_is_the_create_and_the_floating_ip(reconcile_env, tmp_path):
    env = reconcile_env()
    env.add_node("a", "10.0.0.11")
    svc = manifest(env, "fresh", [{"name": "http", "port": 80, "protocol": "TCP"}], {})
    env.sim.control.clear_counts()
    code, text = plan(env, tmp_path, svc, output="text")
    assert code == 0 and writes(env) == {} and env.lbs() == []
    key = f"{env.namespace}/fresh"
    lines = [line.removeprefix(f"{key}: ") for line in text.splitlines()]
    lb_name = f"kube_service_{env.context.settings.cluster_name}_{env.namespace}_fresh"
    assert f"1. create loadbalancer {lb_name}: description" in "\n".join(lines)
    assert any(
        line.startswith(f"1. create member {env.run}-a: address 10.0.0.11, protocol_port 30000")
        for line in lines
    )
    assert any(
        line.startswith(
            f"2. create floatingip on {env.ids.public_network}: floating_network_id "
            f"{env.ids.public_network}, port_id (VIP port of the new load balancer)"
        )
        for line in lines
    ), lines
    assert lines[-1] == f"5 changes in 2 writes (load balancer {lb_name})"

    # the worker makes those two writes: the fully populated create and the floating IP
    env.create_service("fresh", [{"name": "http", "port": 80, "protocol": "TCP"}])
    env.sim.control.clear_counts()
    env.drive("fresh")
    assert writes(env) == {
        "POST /load-balancer/v2.0/lbaas/loadbalancers": 1,
        "POST /networking/v2.0/floatingips": 1,
    }


def test_live_plan_reviews_against_the_cluster_and_reports_the_workers_errors(reconcile_env, tmp_path):
    env = reconcile_env()
    env.add_node("a", "10.0.0.11")
    env.create_service("web", [{"name": "http", "port": 80, "protocol": "TCP"}])
    env.drive("web")
    [lb] = env.lbs()
    bad = manifest(env, "bad", [{"port": 81, "protocol": "TCP"}], {A + "keep-floatingip": "True"})
    # joins web's load balancer on web's port: the cluster's web is a peer, so the webhook's rule denies it
    clash = manifest(env, "clash", [{"port": 80, "protocol": "TCP"}], {A + "load-balancer-id": lb["id"]})
    # a TLS reference Barbican does not hold: admitted, and the worker's own check fails it
    missing = f"{env.sim.url}/key-manager/v1/containers/{uuid.uuid4()}"
    tls = manifest(env, "tls", [{"port": 443, "protocol": "TCP"}], {A + "default-tls-container-ref": missing})
    fine = manifest(env, "web", [{"name": "http", "port": 80, "protocol": "TCP"}], {})
    env.sim.control.clear_counts()
    code, doc = plan(env, tmp_path, bad, clash, tls, fine)
    assert code == 1
    verdicts = {s["service"].split("/")[1]: (s["verdict"], s["message"]) for s in doc["services"]}
    assert verdicts["bad"][0] == "denied" and '"True" is not a boolean' in verdicts["bad"][1]
    assert verdicts["clash"] == (
        "denied",
        f"spec.ports[0]: TCP/80 is already used on load balancer {lb['id']} by Service {env.namespace}/web; "
        "choose another port",
    )
    assert verdicts["tls"][0] == "error"
    assert verdicts["tls"][1].startswith(
        f'failed to ensure load balancer: failed to get tls container "{missing}": '
    )
    assert verdicts["web"] == ("no-changes", "")
    assert doc["summary"] == {"services": 4, "with_changes": 0, "changes": 0, "denied": 2, "errors": 1}
    assert writes(env) == {}

    # no longer a LoadBalancer: the stored finalizer says the worker cleans up, which is not previewed
    plain = {**fine, "spec": {"type": "ClusterIP", "ports": [{"name": "http", "port": 80}]}}
    code, doc = plan(env, tmp_path, plain)
    [web] = doc["services"]
    assert (code, web["verdict"]) == (0, "unmanaged")
    assert web["message"].endswith("the worker removes its load balancer (the cleanup is not previewed)")


# the route of each Gateway write in the simulator's counts
ROUTES = {
    "create_load_balancer": "POST /load-balancer/v2.0/lbaas/loadbalancers",
    "create_floating_ip": "POST /networking/v2.0/floatingips",
    "create_security_group": "POST /networking/v2.0/security-groups",
    "create_security_group_rule": "POST /networking/v2.0/security-group-rules",
    "delete_security_group_rule": "DELETE /networking/v2.0/security-group-rules/{id}",
    "set_port_security_groups": "PUT /networking/v2.0/ports/{id}",
}


def test_live_plan_of_security_groups_is_the_neutron_writes_the_worker_makes(reconcile_env, tmp_path):
    from tests.reconcile.test_security_groups import _add_node_with_port

    env = reconcile_env(manage_security_groups="true")
    port_a = _add_node_with_port(env, "a")
    port_b = _add_node_with_port(env, "b")
    http = {"name": "http", "port": 80, "protocol": "TCP"}
    env.create_service("web", [http])  # stored (uid and NodePort allocated), not provisioned yet
    env.sim.control.clear_counts()
    code, doc = plan(env, tmp_path, manifest(env, "web", [http], {}))
    assert code == 0 and writes(env) == {}
    [web] = doc["services"]
    node_port = env.service("web").spec.ports[0].node_port
    neutron = [(c["action"], c["kind"], c["name"]) for c in web["changes"] if c["step"] > 1]
    group = f"lb-sg-{env.service('web').metadata.uid}-{env.namespace}-web"
    assert neutron[0] == ("create", "floatingip", f"on {env.ids.public_network}")
    assert neutron[1:5] == [
        ("create", "security_group", group),
        ("create", "security_group_rule", f"ingress tcp {node_port} from 10.0.0.0/24"),
        ("delete", "security_group_rule", "egress any IPv4"),
        ("delete", "security_group_rule", "egress any IPv6"),
    ]
    assert sorted(neutron[5:]) == sorted([("update", "port", port_a["id"]), ("update", "port", port_b["id"])])

    planned: dict[str, int] = {}
    for change in web["changes"]:
        if change["call"] != "create_load_balancer" or change["kind"] == "loadbalancer":
            planned[ROUTES[change["call"]]] = planned.get(ROUTES[change["call"]], 0) + 1
    env.sim.control.clear_counts()
    env.drive("web")
    assert writes(env) == planned
