"""`make run`: bring the local stack up, apply the example Services with kubectl, and show what happened.

Steps: `octavia-lb dev up` (idempotent), create the examples' namespaces, `kubectl apply` the good examples
and then each bad one, wait (bounded) for EXTERNAL-IPs, print `kubectl get svc -A`, the webhook's rejection
messages, and how to continue and stop. Exit 0 when every bad example was rejected, 1 when one got through,
2 when the stack or kubectl is missing.
"""

from __future__ import annotations

import argparse
import calendar
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from octavia_lb_devkit.controlplane.processes import ProcessError
from octavia_lb_devkit.dev.layout import StateDir
from octavia_lb_devkit.dev.starters import StackSettings
from octavia_lb_devkit.dev.up import Stack, summary

EXAMPLES = Path("examples")
KUBECTL_FALLBACK = "/usr/bin/kubectl"


@dataclass(frozen=True)
class Kubectl:
    binary: str
    kubeconfig: Path

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = [self.binary, "--kubeconfig", str(self.kubeconfig), *args]
        return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=120, check=False)


def find_kubectl() -> str:
    found = shutil.which("kubectl") or (KUBECTL_FALLBACK if Path(KUBECTL_FALLBACK).is_file() else None)
    if found is None:
        raise FileNotFoundError("kubectl not found on PATH; install kubectl (1.20 or newer)")
    return found


def documents(folder: Path) -> list[dict]:
    found = []
    for path in sorted(folder.glob("*.yaml")):
        found += [doc for doc in yaml.safe_load_all(path.read_text()) if isinstance(doc, dict)]
    return found


def ensure_namespaces(kubectl: Kubectl, names: set[str]) -> None:
    """The examples' namespaces, labelled as API servers >= 1.21 label them (webhook selectors rely on it)."""
    for name in sorted(names - {"default"}):
        manifest = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        }
        done = kubectl.run("apply", "-f", "-", stdin=json.dumps(manifest))
        print(done.stdout.strip() or done.stderr.strip(), flush=True)


def apply_good(kubectl: Kubectl, folder: Path) -> None:
    print(f"\n$ kubectl apply -f {folder}/", flush=True)
    done = kubectl.run("apply", "-f", str(folder))
    print((done.stdout + done.stderr).strip(), flush=True)


def apply_bad(kubectl: Kubectl, folder: Path) -> list[str]:
    """Applies each bad example on its own; returns the files the API server accepted (should be none)."""
    print(f"\n$ kubectl apply -f {folder}/<each file>   (every one should be rejected)", flush=True)
    accepted = []
    for path in sorted(folder.glob("*.yaml")):
        done = kubectl.run("apply", "-f", str(path))
        rejections = [line for line in done.stderr.splitlines() if line.strip()]
        for line in rejections:
            # the webhook's own message, or the API server's validation error, without kubectl's prefix
            print(f"  {path.name}: {line.split('denied the request: ', 1)[-1]}", flush=True)
        if done.returncode == 0:
            accepted.append(path.name)
            print(f"  {path.name}: ACCEPTED (expected a rejection)", flush=True)
        elif " created" in done.stdout:
            _drop_half_admitted(kubectl, path, done.stdout)
    return accepted


def _drop_half_admitted(kubectl: Kubectl, path: Path, created: str) -> None:
    """A file of two sharers: the first is admitted (the webhook refuses only the one joining after it).
    Delete it again so the demo leaves no Service waiting for a load balancer that does not exist."""
    names = [line.split()[0] for line in created.splitlines() if line.endswith(" created")]
    print(f"  {path.name}: {', '.join(names)} admitted first (only the Service joining after it is refused); "
          "deleted again", flush=True)
    kubectl.run("delete", "-f", str(path), "--ignore-not-found", "--wait=false")


def wait_for_external_ips(kubectl: Kubectl, services: list[tuple[str, str]], timeout: float) -> list[str]:
    """Waits until every (namespace, name) has an address or has been failing for a while; returns the rest.

    A Service whose LoadBalancerReady condition has stayed False for FAILING_FOR_S is not waited for: its
    message is printed instead of making the user sit out the whole timeout.
    """
    print(f"\nwaiting up to {timeout:.0f}s for EXTERNAL-IPs…", flush=True)
    deadline = time.monotonic() + timeout
    while True:
        states = _service_states(kubectl)
        pending = [key for key in (f"{ns}/{name}" for ns, name in services) if states.get(key) != "ip"]
        if all(states.get(key) == "failing" for key in pending) or time.monotonic() > deadline:
            return pending
        time.sleep(1)


FAILING_FOR_S = 15.0


def _service_states(kubectl: Kubectl) -> dict[str, str]:
    """namespace/name → "ip" (has an ingress address), "failing" (not ready for a while) or "working"."""
    done = kubectl.run("get", "svc", "-A", "-o", "json")
    if done.returncode != 0:
        return {}
    states = {}
    now = time.time()
    for item in json.loads(done.stdout)["items"]:
        key = f"{item['metadata']['namespace']}/{item['metadata']['name']}"
        status = item.get("status") or {}
        ready = [c for c in status.get("conditions") or [] if c.get("type") == "LoadBalancerReady"]
        if (status.get("loadBalancer") or {}).get("ingress"):
            states[key] = "ip"
        elif ready and ready[0]["status"] == "False" and now - _epoch(ready[0]) > FAILING_FOR_S:
            states[key] = "failing"
        else:
            states[key] = "working"
    return states


def _epoch(condition: dict) -> float:
    return calendar.timegm(time.strptime(condition["lastTransitionTime"], "%Y-%m-%dT%H:%M:%SZ"))


def why_pending(kubectl: Kubectl, key: str) -> str:
    namespace, name = key.split("/", 1)
    done = kubectl.run(
        "get", "svc", name, "-n", namespace,
        "-o", "jsonpath={.status.conditions[?(@.type=='LoadBalancerReady')].message}",
    )  # fmt: skip
    return done.stdout.strip() or "no condition yet"


def next_steps(state: Path) -> str:
    kubeconfig = (state / "kubeconfig").resolve()
    return "\n".join(
        [
            "",
            "next:",
            f"  export KUBECONFIG={kubeconfig}",
            "  kubectl get svc -A -w                          # watch the load balancers",
            "  kubectl apply -f examples/good/source-ranges.yaml",
            "  kubectl delete svc loadbalanced-service       # the worker deletes its load balancer first",
            f"  octavia-lb dev status --state-dir {state}     # health of every part; logs in {state}/",
            f"stop everything: octavia-lb dev down --state-dir {state}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m octavia_lb_devkit.localrun", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--state-dir", type=Path, default=Path(".dev"))
    parser.add_argument("--profile", choices=["fast", "realistic"], default="fast")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for EXTERNAL-IPs")
    args = parser.parse_args(argv)
    state = StateDir(args.state_dir)
    try:
        kubectl = Kubectl(find_kubectl(), state.kubeconfig)
        parts = Stack(state, StackSettings(profile=args.profile)).up()
    except (FileNotFoundError, ProcessError, RuntimeError, OSError) as exc:
        print(f"make run: {exc}\nstop what did start with: octavia-lb dev down --state-dir {args.state_dir}")
        return 2
    print(summary(state, parts), flush=True)
    good, bad = documents(EXAMPLES / "good"), documents(EXAMPLES / "bad")
    ensure_namespaces(kubectl, {doc["metadata"].get("namespace", "default") for doc in good + bad})
    apply_good(kubectl, EXAMPLES / "good")
    accepted = apply_bad(kubectl, EXAMPLES / "bad")
    services = [(d["metadata"].get("namespace", "default"), d["metadata"]["name"]) for d in good]
    pending = wait_for_external_ips(kubectl, services, args.timeout)
    print("\n$ kubectl get svc -A", flush=True)
    print(kubectl.run("get", "svc", "-A").stdout, flush=True)
    for key in pending:
        print(f"still pending: {key}: {why_pending(kubectl, key)}", flush=True)
    print(next_steps(args.state_dir), flush=True)
    return 1 if accepted else 0


if __name__ == "__main__":
    sys.exit(main())
