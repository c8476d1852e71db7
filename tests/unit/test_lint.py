"""`octavia-lb lint` run as the installed console script on examples/ and on generated input."""

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
LINT = [str(ROOT / ".venv" / "bin" / "octavia-lb"), "lint"]
CONF = ["--cloud-config", str(EXAMPLES / "cloud.conf")]


def lint(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LINT, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def test_good_examples_are_ok() -> None:
    files = sorted(str(p) for p in (EXAMPLES / "good").glob("*.yaml"))
    result = lint(*CONF, *files)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 9 and all(line.endswith(": ok") for line in lines)
    assert "default/service-1: ok" in lines and "default/service-2: ok" in lines
    assert "nginx-ingress/nginx-ingress: ok" in lines


EXPECTED_BAD = {
    "bool": 'default/bad-bool: denied: loadbalancer.openstack.org/keep-floatingip: "True" is not a boolean',
    "int": 'default/bad-connection-limit: denied: loadbalancer.openstack.org/connection-limit: "0" is out of',
    "timeout-range": 'default/bad-timeout: denied: loadbalancer.openstack.org/timeout-client-data: "-5"',
    "retries": 'default/bad-retries: denied: loadbalancer.openstack.org/health-monitor-max-retries: "11"',
    "monitor-timeout": 'default/bad-monitor: denied: loadbalancer.openstack.org/health-monitor-timeout: "10" '
    'must be less than health-monitor-delay ("5")',
    "udp-monitor-delay": "default/bad-udp-delay: denied: "
    'loadbalancer.openstack.org/health-monitor-delay: "2"',
    "proxy-value": 'default/bad-proxy-value: denied: loadbalancer.openstack.org/proxy-protocol: "yes"',
    "proxy-and-xff": "default/bad-proxy-xff: denied: annotation loadbalancer.openstack.org/proxy-protocol "
    "and loadbalancer.openstack.org/x-forwarded-for cannot be used together",
    "proxy-udp": 'default/bad-proxy-udp: denied: loadbalancer.openstack.org/proxy-protocol: "v2" cannot be '
    "used with UDP port 53",
    "unknown-class": 'default/bad-class: denied: loadbalancer.openstack.org/class: "internet-facing" is not '
    "a [LoadBalancerClass]",
    "uuid": "default/bad-subnet-id: denied: "
    'loadbalancer.openstack.org/subnet-id: "my-subnet" is not a UUID',
    "subnet-regex": "default/bad-subnet-regex: denied: loadbalancer.openstack.org/floating-subnet:",
    "subnet-tags": "default/bad-subnet-tags: denied: loadbalancer.openstack.org/floating-subnet-tags:",
    "hostname": "default/bad-hostname: denied: "
    'loadbalancer.openstack.org/hostname: "10.0.0.5" is an IP address',
    "node-selector": "default/bad-node-selector: denied: "
    "loadbalancer.openstack.org/node-selector:",
    "source-range": "default/bad-source-range: denied: "
    'spec.loadBalancerSourceRanges[0]: "10.0.0.1" is not a CIDR',
    "source-range-annotation": "default/bad-source-range-annotation: denied: "
    "service.beta.kubernetes.io/load-balancer-source-ranges:",
    "tls-ref": "default/bad-tls-ref: denied: loadbalancer.openstack.org/default-tls-container-ref: "
    '"my-certificate" is not a Barbican URL',
    "etp-local": 'default/bad-etp-local: denied: spec.externalTrafficPolicy: "Local" needs a health monitor',
}


@pytest.mark.parametrize(("name", "line"), sorted(EXPECTED_BAD.items()), ids=sorted(EXPECTED_BAD))
def test_each_bad_example_is_denied_for_its_rule(name: str, line: str) -> None:
    result = lint(*CONF, str(EXAMPLES / "bad" / f"{name}.yaml"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(result.stdout.splitlines()) == 1
    assert result.stdout.startswith(line), result.stdout


def test_shared_examples_see_each_other_in_admission_order() -> None:
    """As `kubectl apply -f` of the same files: the first of each pair is admitted, the one joining later is
    the one the webhook denies."""
    result = lint(
        *CONF,
        str(EXAMPLES / "bad" / "shared-port-collision.yaml"),
        str(EXAMPLES / "bad" / "shared-internal.yaml"),
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "default/web-a: ok"
    assert lines[1].startswith(
        "default/web-b: denied: spec.ports[0]: TCP/80 is already used on load balancer"
    )
    assert lines[1].endswith("by Service default/web-a; choose another port")
    assert lines[2] == "default/private-a: ok"
    assert lines[3].startswith("default/public-b: denied: loadbalancer.openstack.org/load-balancer-id:")
    assert "belongs to internal Service default/private-a" in lines[3]


def test_whole_examples_tree_in_one_call() -> None:
    files = sorted(str(p) for p in EXAMPLES.glob("*/*.yaml") if p.parent.name != "ovn")
    result = lint(*CONF, *files)
    assert result.returncode == 1
    ok = [line for line in result.stdout.splitlines() if line.endswith(": ok")]
    denied = [line for line in result.stdout.splitlines() if ": denied: " in line]
    # the first Service of each bad shared pair is admitted, as it would be by the webhook
    assert len(ok) == 11 and len(denied) == len(EXPECTED_BAD) + 2


LB = "0f0e0d0c-0b0a-4909-8807-060504030201"


def _sharer(name: str, port: int) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "annotations": {"loadbalancer.openstack.org/load-balancer-id": LB}},
        "spec": {"type": "LoadBalancer", "ports": [{"port": port}]},
    }


def test_over_sharing_denies_only_the_services_that_join_too_late() -> None:
    """examples/cloud.conf has max-shared-lb = 2: the third and fourth sharers are denied, not all four."""
    doc = {"apiVersion": "v1", "kind": "List", "items": [_sharer(f"s{i}", 80 + i) for i in range(4)]}
    result = lint(*CONF, "-", stdin=json.dumps(doc))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:2] == ["default/s0: ok", "default/s1: ok"]
    assert [line.split(": ")[0] for line in lines[2:]] == ["default/s2", "default/s3"]
    assert all(": denied: " in line and "already" in line and "2" in line for line in lines[2:]), lines


def test_a_service_named_twice_is_reviewed_as_an_update_of_the_first() -> None:
    """The second document is what `kubectl apply` sends as a change: it does not collide with itself."""
    doc = {"apiVersion": "v1", "kind": "List", "items": [_sharer("s0", 80), _sharer("s0", 80)]}
    result = lint(*CONF, "-", stdin=json.dumps(doc))
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == ["default/s0: ok", "default/s0: ok"]


def test_ovn_examples() -> None:
    result = lint(
        "--cloud-config",
        str(EXAMPLES / "cloud-ovn.conf"),
        *sorted(str(p) for p in (EXAMPLES / "ovn").glob("*.yaml")),
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "default/ovn-timeouts: warning: loadbalancer.openstack.org/timeout-client-data is ignored by the ovn "
        "provider",
        "default/ovn-timeouts: ok",
        "default/ovn-xff: denied: "
        'loadbalancer.openstack.org/x-forwarded-for: "true" is not supported by the ovn '
        "provider (cloud.conf lb-provider = ovn); remove it",
    ]


def test_stdin_json_list_and_warnings() -> None:
    doc = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": "a",
                    "namespace": "team",
                    "annotations": {"loadbalancer.openstack.org/keep-fip": "true"},
                },
                "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
            },
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ignored"}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "c"}, "spec": {"type": "ClusterIP"}},
        ],
    }
    result = lint("-", stdin=json.dumps(doc))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "team/a: warning: unknown annotation loadbalancer.openstack.org/keep-fip is ignored; did you mean "
        "loadbalancer.openstack.org/keep-floatingip?",
        "team/a: ok",
        "default/c: ok",
    ]


@pytest.mark.parametrize(
    ("args", "stdin", "fragment"),
    [
        pytest.param(["/nonexistent/x.yaml"], None, "/nonexistent/x.yaml: cannot read", id="missing-file"),
        pytest.param(["-"], "a: [unclosed", "<stdin>: not valid YAML or JSON", id="bad-yaml"),
        pytest.param(["-"], "- just\n- a list\n", "expected a Kubernetes object", id="not-an-object"),
        pytest.param(
            ["--cloud-config", "/nonexistent.conf", "-"], "", "cannot read file", id="missing-config"
        ),
    ],
)
def test_unreadable_input_exits_2(args: list[str], stdin: str | None, fragment: str) -> None:
    result = lint(*args, stdin=stdin)
    assert result.returncode == 2
    assert fragment in result.stderr and result.stdout == ""


def test_bad_cloud_conf_exits_2(tmp_path: Path) -> None:
    conf = tmp_path / "cloud.conf"
    conf.write_text("[LoadBalancer]\nmonitor-delay = 5\n")
    result = lint("--cloud-config", str(conf), str(EXAMPLES / "good" / "basic.yaml"))
    assert result.returncode == 2
    assert f"{conf}:2: [LoadBalancer] monitor-delay = '5'" in result.stderr
