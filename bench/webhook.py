"""Webhook benchmark: `/validate` over TLS on loopback vs two baselines measured in the same run; cache RSS.

Run with `python -m bench.webhook`. It starts, on 127.0.0.1, each served the same way (`run_https`: same
uvicorn settings, TLS context, uvloop, httptools; see bench/baselines.py):
- `raw`: a plain ASGI app returning a constant AdmissionReview: the ceiling of uvicorn + TLS itself;
- `parse`: the same, but parsing the review and answering with its uid: the floor of any webhook's work;
- `fastapi`: a minimal FastAPI app whose `/validate` reads the body and returns the same constant;
- `octavia-lb webhook` processes against a list+watch stand-in holding 0 or 10,000 LoadBalancer Services.
wrk POSTs a real ~2 KB CREATE review (`samples.basic_review`, an admissible Service joining a shared load
balancer, so every rule runs and the verdict is "allowed") at 1 and 8 connections. `no-rules` posts the same
review for a ClusterIP Service, which the webhook allows without running a rule. Servers are pinned to CPU 0
and wrk to CPU 1. Every figure is the median of RUNS rounds, the endpoints interleaved within a round so that
load from other processes falls on all of them alike; `uptime` is printed before and after.

Issue 2's throughput target (>= 70 %) is judged against `raw`, because the issue names "a bare uvicorn TLS
endpoint": the ratio to `fastapi` is printed too, as it shows what the webhook's own code costs on top of the
framework it is built on, but it is not the target. Then the in-process cost per review (bench.inprocess).
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from octavia_lb_devkit.testing import samples  # noqa: E402
from octavia_lb_devkit.testing.certs import CertFiles, write_certs  # noqa: E402
from octavia_lb_devkit.testing.listwatch_standin import ListWatchServer  # noqa: E402
from octavia_lb_devkit.testing.webhook import webhook_argv  # noqa: E402

from bench import inprocess  # noqa: E402

DURATION_S = 5
RUNS = 3
SERVICES = 10_000
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


def wrk(url: str, lua: Path, connections: int, duration: int = DURATION_S) -> Figures:
    command = [
        *_pin(1),
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
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
    return [*_pin(0), *webhook_argv(certs, conf, kubeconfig)]


def fill(stub: ListWatchServer, count: int) -> None:
    for svc in samples.shared_services(count):
        stub.services[(svc["metadata"]["namespace"], svc["metadata"]["name"])] = svc


def _median(figures: list[Figures]) -> Figures:
    return Figures(
        rps=statistics.median(f.rps for f in figures),
        p50_ms=statistics.median(f.p50_ms for f in figures),
        p99_ms=statistics.median(f.p99_ms for f in figures),
    )


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def measure_throughput(
    certs: CertFiles, lua: Path, webhook_port: int, runs: int = RUNS, duration: int = DURATION_S
) -> dict[tuple[str, int], Figures]:
    """Median figures per (endpoint, connections) over `runs` interleaved rounds."""
    serve = [*_pin(0), sys.executable, "-m", "bench.baselines"]
    tls = [str(certs.cert), str(certs.key)]
    with (
        started([*serve, "raw", *tls], REPO) as (_, raw_port),
        started([*serve, "parse", *tls], REPO) as (_, parse_port),
        started([*serve, "fastapi", *tls], REPO) as (_, fastapi_port),
    ):
        targets = [
            ("raw", raw_port, lua, (1, 8)),
            ("parse", parse_port, lua, (1, 8)),
            ("fastapi", fastapi_port, lua, (1, 8)),
            ("webhook", webhook_port, lua, (1, 8)),
            ("no-rules", webhook_port, lua.with_name("skip.lua"), (8,)),
        ]
        rounds: dict[tuple[str, int], list[Figures]] = {}
        for round_no in range(runs):
            print(f"round {round_no + 1}/{runs}: {_uptime()}", flush=True)
            for connections in (1, 8):
                for name, port, script, conns in targets:
                    if connections in conns:
                        figures = wrk(f"https://127.0.0.1:{port}/validate", script, connections, duration)
                        rounds.setdefault((name, connections), []).append(figures)
    return {key: _median(figures) for key, figures in rounds.items()}


def print_throughput(
    results: dict[tuple[str, int], Figures], body_size: int, runs: int = RUNS, duration: int = DURATION_S
) -> None:
    print(
        f"\nPOST /validate over TLS, {body_size}-byte AdmissionReview, wrk {duration}s, server on 1 core, "
        f"median of {runs} rounds"
    )
    head = f"{'endpoint':<10}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
    print(f"{head}{'vs raw':>9}{'vs fastapi':>12}")
    for connections in (1, 8):
        raw, fastapi = results[("raw", connections)], results[("fastapi", connections)]
        for name in ("raw", "parse", "fastapi", "webhook", "no-rules"):
            f = results.get((name, connections))
            if f is not None:
                print(
                    f"{name:<10}{connections:>6}{f.rps:>10.0f}{f.p50_ms:>9.2f}{f.p99_ms:>9.2f}"
                    f"{f.rps / raw.rps:>9.0%}{f.rps / fastapi.rps:>12.0%}"
                )
    hook, raw, fastapi = results[("webhook", 8)], results[("raw", 8)], results[("fastapi", 8)]
    print(
        f"targets (issue 2), 8 connections: p99 {hook.p99_ms:.2f} ms (<= 5 ms: "
        f"{'met' if hook.p99_ms <= 5 else 'MISSED'}); throughput {hook.rps / raw.rps:.0%} of raw "
        f"(>= 70%: {'met' if hook.rps >= 0.7 * raw.rps else 'MISSED'}). The target is judged against raw, "
        f"the bare uvicorn TLS endpoint the issue names; vs the minimal FastAPI app (not the target): "
        f"{hook.rps / fastapi.rps:.0%}"
    )
    for connections in (1, 8):
        parse, raw = results.get(("parse", connections)), results[("raw", connections)]
        if parse is not None:
            ours = results[("webhook", connections)]
            print(
                f"ceiling at {connections} connection(s): a webhook that only parses the review and echoes "
                f"its uid runs {parse.rps / raw.rps:.0%} of raw; octavia-lb runs {ours.rps / parse.rps:.0%} "
                "of that"
            )


def _check_allowed(port: int, ca: Path, body: bytes) -> None:
    """Warm up, and make sure the benchmark measures the path it claims: every rule run, then "allowed"."""
    with httpx.Client(verify=str(ca)) as client:
        answer = client.post(f"https://127.0.0.1:{port}/validate", content=body).json()
    if answer["response"]["allowed"] is not True:
        raise RuntimeError(f"the benchmark review must be allowed, got {answer}")


def _cached_services(port: int, ca: Path) -> float:
    with httpx.Client(verify=str(ca)) as client:
        metrics = client.get(f"https://127.0.0.1:{port}/metrics").text
    cached = re.search(r"^octavia_lb_webhook_cache_services ([\d.e+]+)$", metrics, re.M)
    return float(cached.group(1)) if cached else float("nan")


def _write_inputs(work: Path) -> Path:
    """The review bodies and wrk scripts; returns the main script (`skip.lua` sits next to it)."""
    for name, review in (("body", samples.basic_review()), ("skip", samples.unmanaged_review())):
        (work / f"{name}.json").write_bytes(samples.encode(review))
    lua = work / "post.lua"
    lua.write_text(LUA.format(body=work / "body.json"))
    lua.with_name("skip.lua").write_text(LUA.format(body=work / "skip.json"))
    return lua


@dataclass(frozen=True)
class WebhookResults:
    """What `main` prints, as data: throughput per (endpoint, connections), and the cache's memory."""

    throughput: dict[tuple[str, int], Figures]
    body_size: int
    empty_rss_mb: float
    full_rss_mb: float
    cached_services: float


def measure_all(runs: int = RUNS, duration: int = DURATION_S) -> WebhookResults:
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install -y wrk")
    with tempfile.TemporaryDirectory(prefix="bench-webhook-") as tmp:
        work = Path(tmp)
        certs = write_certs(work / "tls")
        conf = work / "cloud.conf"
        conf.write_text("[LoadBalancer]\n")
        lua = _write_inputs(work)
        body = (work / "body.json").read_bytes()
        empty, full = ListWatchServer().start(), ListWatchServer().start()
        fill(full, SERVICES)
        try:
            kubeconfig = empty.write_kubeconfig(work / "empty.kc")
            with started(webhook_command(certs, conf, kubeconfig), REPO) as (p0, port0):
                wait_ready(port0, certs.ca_cert)
                _check_allowed(port0, certs.ca_cert, body)
                empty_rss = rss_mb(p0.pid)
            kubeconfig = full.write_kubeconfig(work / "full.kc")
            with started(webhook_command(certs, conf, kubeconfig), REPO) as (p1, port1):
                wait_ready(port1, certs.ca_cert)
                _check_allowed(port1, certs.ca_cert, body)
                count = _cached_services(port1, certs.ca_cert)
                full_rss = rss_mb(p1.pid)
                results = measure_throughput(certs, lua, port1, runs, duration)
        finally:
            empty.stop()
            full.stop()
    return WebhookResults(results, len(body), empty_rss, full_rss, count)


def main() -> None:
    print(f"load at start: {_uptime()}")
    measured = measure_all()
    print_throughput(measured.throughput, measured.body_size)
    empty_rss, full_rss, count = measured.empty_rss_mb, measured.full_rss_mb, measured.cached_services
    print(
        f"\nRSS of the webhook process: empty cache {empty_rss:.1f} MB; {count:.0f} Services cached "
        f"{full_rss:.1f} MB; difference {full_rss - empty_rss:.1f} MB "
        f"(<= 60 MB: {'met' if full_rss - empty_rss <= 60 else 'MISSED'}); ratio {full_rss / empty_rss:.2f}x"
    )
    inprocess.print_figures(inprocess.measure(SERVICES))
    print(f"\nload at end: {_uptime()}")

if __name__ == "__main__":
    main()
