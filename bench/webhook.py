"""Webhook benchmark: `/validate` over TLS on loopback vs a bare uvicorn TLS endpoint, and cache memory.

Run with `python -m bench.webhook`. It starts, on 127.0.0.1:
- a bare uvicorn (same TLS context, uvloop, httptools) whose ASGI app reads the body and returns a constant
  AdmissionReview: the ceiling for any Python webhook on this machine, measured in the same run;
- `octavia-lb webhook` processes against a list+watch stand-in holding 0 or 10,000 LoadBalancer Services;
and drives both endpoints with wrk (1 and 8 connections, a real 2 KB AdmissionReview POSTed by a Lua script).
The `no-rules` row posts the same review for a ClusterIP Service, which the webhook allows without running
any rule: the difference to `webhook` is the rules' cost, the difference to `bare` the HTTP layer's.
Servers are pinned to CPU 0 and wrk to CPU 1, so the figures are one server core's. Figures are printed next
to the bare endpoint's as ratios; targets: p99 <= 5 ms at 8 connections, >= 70 % of bare throughput, and the
10,000-Service cache <= 60 MB of RSS above the empty one.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from octavia_lb.webhook.certs import CertFiles, write_certs  # noqa: E402
from tests.webhook.bodies import ANN, review, service  # noqa: E402
from tests.webhook.listwatch_server import ListWatchServer  # noqa: E402

DURATION_S = 5
SERVICES = 10_000
CONSTANT_REVIEW = orjson.dumps(
    {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": "x", "allowed": True},
    }
)
LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
"""


@dataclass(frozen=True)
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float


def _pin(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") else []


def _lb_id(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012d}"


def request_body() -> bytes:
    """A realistic CREATE review (~2 KB, managedFields and last-applied included) of an admissible Service."""
    svc = service(
        "web",
        "team-a",
        annotations={
            ANN + "load-balancer-id": _lb_id(1),
            ANN + "health-monitor-delay": "5",
            ANN + "health-monitor-timeout": "3",
            ANN + "enable-health-monitor": "true",
            "kubectl.kubernetes.io/last-applied-configuration": "{" + '"x":"' + "y" * 700 + '"}',
        },
        ports=[("TCP", 8443)],
    )
    return orjson.dumps(review("CREATE", svc))


# -- the bare endpoint (run in its own process via --serve-bare) --


async def _bare_app(scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(CONSTANT_REVIEW)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": CONSTANT_REVIEW})


def serve_bare(cert: str, key: str) -> None:
    from octavia_lb.webhook.server import run_https
    from octavia_lb.webhook.tls import CertReloader

    reloader = CertReloader.for_files(cert, key)
    run_https(
        _bare_app, "127.0.0.1", 0, reloader, lambda port: print(f"listening on https://x:{port}", flush=True)
    )


# -- process helpers --


@contextmanager
def started(command: list[str], cwd: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on https://" not in line:
            raise RuntimeError(f"{command[:6]} did not start: {line!r}")
        yield process, int(line.rsplit(":", 1)[1])
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def wait_ready(port: int, ca: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(verify=str(ca), timeout=5) as client:
        while client.get(f"https://127.0.0.1:{port}/readyz").status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("webhook never became ready")
            time.sleep(0.1)


def wrk(url: str, lua: Path, connections: int) -> Figures:
    command = [
        *_pin(1),
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{DURATION_S}s",
        "--latency",
        "-s",
        str(lua),
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)$", out, re.M))
    return Figures(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
    )


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def webhook_command(certs: CertFiles, conf: Path, kubeconfig: Path) -> list[str]:
    return [
        *_pin(0),
        sys.executable,
        "-m",
        "octavia_lb",
        "webhook",
        "--cloud-config",
        str(conf),
        "--tls-cert",
        str(certs.cert),
        "--tls-key",
        str(certs.key),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--kubeconfig",
        str(kubeconfig),
    ]


def fill(stub: ListWatchServer, count: int) -> None:
    """`count` LoadBalancer Services, two per load balancer (OCCM's default max-shared-lb)."""
    for i in range(count):
        svc = service(
            f"svc-{i}",
            f"ns-{i % 50}",
            annotations={ANN + "load-balancer-id": _lb_id(i // 2)},
            ports=[("TCP", 80 + i % 2)],
        )
        stub.services[(svc["metadata"]["namespace"], svc["metadata"]["name"])] = svc


def unmanaged_body() -> bytes:
    """The same review for a ClusterIP Service: the webhook answers without running any rule."""
    body = orjson.loads(request_body())
    body["request"]["object"]["spec"]["type"] = "ClusterIP"
    return orjson.dumps(body)


def measure_throughput(work: Path, certs: CertFiles, lua: Path, webhook_port: int) -> None:
    bare_cmd = [
        *_pin(0),
        sys.executable,
        "-m",
        "bench.webhook",
        "--serve-bare",
        str(certs.cert),
        str(certs.key),
    ]
    with started(bare_cmd, REPO) as (_, bare_port):
        results: dict[tuple[str, int], Figures] = {}
        for connections in (1, 8):
            results[("bare", connections)] = wrk(f"https://127.0.0.1:{bare_port}/validate", lua, connections)
            results[("webhook", connections)] = wrk(
                f"https://127.0.0.1:{webhook_port}/validate", lua, connections
            )
        # what the HTTP layer costs without the rules: a Service the webhook does not judge
        results[("no-rules", 8)] = wrk(
            f"https://127.0.0.1:{webhook_port}/validate", lua.with_name("skip.lua"), 8
        )
    print(
        f"\nPOST /validate over TLS, {len(lua.with_name('body.json').read_bytes())}-byte AdmissionReview, "
        f"wrk {DURATION_S}s, server on 1 core"
    )
    print(f"{'endpoint':<10}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'vs bare req/s':>15}")
    for connections in (1, 8):
        bare = results[("bare", connections)]
        for name in ("bare", "webhook", "no-rules"):
            f = results.get((name, connections))
            if f is None:
                continue
            ratio = f.rps / bare.rps
            print(f"{name:<10}{connections:>6}{f.rps:>10.0f}{f.p50_ms:>9.2f}{f.p99_ms:>9.2f}{ratio:>14.0%}")
    hook8, bare8 = results[("webhook", 8)], results[("bare", 8)]
    print(
        f"targets: p99 at 8 connections {hook8.p99_ms:.2f} ms "
        f"(<= 5 ms: {'met' if hook8.p99_ms <= 5 else 'MISSED'}); "
        f"throughput {hook8.rps / bare8.rps:.0%} of bare (>= 70%: "
        f"{'met' if hook8.rps >= 0.7 * bare8.rps else 'MISSED'})"
    )


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install -y wrk")
    with tempfile.TemporaryDirectory(prefix="bench-webhook-") as tmp:
        work = Path(tmp)
        certs = write_certs(work / "tls")
        conf = work / "cloud.conf"
        conf.write_text("[LoadBalancer]\n")
        body = work / "body.json"
        body.write_bytes(request_body())
        lua = work / "post.lua"
        lua.write_text(LUA.format(body=body))
        (work / "skip.json").write_bytes(unmanaged_body())
        lua.with_name("skip.lua").write_text(LUA.format(body=work / "skip.json"))
        empty, full = ListWatchServer().start(), ListWatchServer().start()
        fill(full, SERVICES)
        try:
            with started(webhook_command(certs, conf, empty.write_kubeconfig(work / "empty.kc")), REPO) as (
                p0,
                port0,
            ):
                wait_ready(port0, certs.ca_cert)
                with httpx.Client(
                    verify=str(certs.ca_cert)
                ) as client:  # warm up, and check the answer is real
                    answer = client.post(
                        f"https://127.0.0.1:{port0}/validate", content=body.read_bytes()
                    ).json()
                    assert answer["response"]["allowed"] is True, answer
                empty_rss = rss_mb(p0.pid)
            with started(webhook_command(certs, conf, full.write_kubeconfig(work / "full.kc")), REPO) as (
                p1,
                port1,
            ):
                wait_ready(port1, certs.ca_cert)
                with httpx.Client(verify=str(certs.ca_cert)) as client:
                    metrics = client.get(f"https://127.0.0.1:{port1}/metrics").text
                    client.post(f"https://127.0.0.1:{port1}/validate", content=body.read_bytes())
                cached = re.search(r"^octavia_lb_webhook_cache_services ([\d.e+]+)$", metrics, re.M)
                full_rss = rss_mb(p1.pid)
                measure_throughput(work, certs, lua, port1)
        finally:
            empty.stop()
            full.stop()
    count = float(cached.group(1)) if cached else float("nan")
    print(
        f"\nRSS of the webhook process: empty cache {empty_rss:.1f} MB; {count:.0f} Services cached "
        f"{full_rss:.1f} MB; difference {full_rss - empty_rss:.1f} MB "
        f"(<= 60 MB: {'met' if full_rss - empty_rss <= 60 else 'MISSED'}); ratio {full_rss / empty_rss:.2f}x"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve-bare", nargs=2, metavar=("CERT", "KEY"))
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(*args.serve_bare)
    else:
        main()
