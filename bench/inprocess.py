"""In-process cost of one review, in µs, without sockets or TLS: what the webhook's own code costs.

Stages: `parse` (bytes → AdmissionRequest), `decide` (the rules' verdict incl. the peer lookup), `cold`
(`decide` with the options and Service-rules memos emptied before each call: a Service whose annotation set
no other Service has), `encode` (answer → bytes) and `asgi` (the whole `/validate` ASGI app: body read,
parse, decide, encode, metrics, response messages). Every stage but `cold` repeats one review, so the memos
hit, as they do for the Services of one chart. Run alone with `python -m bench.inprocess`; `bench.webhook`
prints it too.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from octavia_lb_devkit.testing import samples

from octavia_lb.common import options, rules  # noqa: E402
from octavia_lb.common.config import CloudConfig  # noqa: E402
from octavia_lb.common.kube import ServicesCache  # noqa: E402
from octavia_lb.webhook import decide  # noqa: E402
from octavia_lb.webhook.admission import encode, parse_review  # noqa: E402
from octavia_lb.webhook.app import create_app  # noqa: E402

SAMPLES: dict[str, Callable[[], dict[str, Any]]] = {
    "basic": samples.basic_review,
    "rich": samples.rich_review,
}
STAGES = ("parse", "decide", "cold", "encode", "asgi")


def _per_call_us(call: Callable[[], object], rounds: int = 7, seconds: float = 0.1) -> float:
    """The least, over `rounds`, of the mean µs per call in a round of about `seconds`: on a shared machine
    the quietest round is the closest to the code's own cost (as `timeit` advises). CPU time of this
    process, not wall time, so other processes on the machine distort it less."""
    call()
    results = []
    for _ in range(rounds):
        count, started = 0, time.process_time()
        while (elapsed := time.process_time() - started) < seconds:
            for _ in range(50):
                call()
            count += 50
        results.append(elapsed / count * 1e6)
    return min(results)


def _asgi_call(app: Any, body: bytes) -> Callable[[], None]:
    """One POST /validate through the ASGI app, as uvicorn would drive it, minus the event loop: the app
    never waits (the body is already there), so stepping its coroutine once runs it to the end."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/validate",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    def call() -> None:
        sent.clear()
        try:
            app(scope, receive, send).send(None)
        except StopIteration:
            pass
        else:
            raise RuntimeError("the app waited for something; it cannot be measured without a loop")
        if sent[0]["status"] != 200:
            raise RuntimeError(f"/validate answered {sent[0]['status']}: {sent[1]['body']!r}")

    return call


def _cold(request: Any, config: CloudConfig, cache: ServicesCache) -> None:
    options.forget()
    rules.forget()
    decide.validate(request, config, cache)


def measure(peers_count: int = 10_000) -> dict[str, dict[str, float]]:
    """µs per call for every stage and sample, against a cache of `peers_count` shared Services."""
    config = CloudConfig.default()
    peers = [p for p in (rules.peer_of(s, config) for s in samples.shared_services(peers_count)) if p]
    cache = ServicesCache.static(peers)
    app = create_app(config, cache)
    figures: dict[str, dict[str, float]] = {}
    for name, make in SAMPLES.items():
        body = encode(make())
        request = parse_review(body)
        answer = decide.validate(request, config, cache)
        if answer.outcome is not decide.Outcome.ALLOWED:
            raise RuntimeError(f"the {name} sample must be allowed, got {answer.review}")
        figures[name] = {
            "parse": _per_call_us(lambda b=body: parse_review(b)),
            "decide": _per_call_us(lambda r=request: decide.validate(r, config, cache)),
            "cold": _per_call_us(lambda r=request: _cold(r, config, cache)),
            "encode": _per_call_us(lambda a=answer: encode(a.review)),
            "asgi": _per_call_us(_asgi_call(app, body)),
        }
    return figures


def print_figures(figures: dict[str, dict[str, float]]) -> None:
    print("\nIn-process µs per review (no sockets, no TLS; best of 7 rounds), 10,000 Services cached")
    print(f"{'sample':<8}" + "".join(f"{stage:>9}" for stage in STAGES) + f"{'reviews/s':>11}")
    for name, stages in figures.items():
        row = "".join(f"{stages[stage]:>9.1f}" for stage in STAGES)
        print(f"{name:<8}{row}{1e6 / stages['asgi']:>11.0f}")


def main() -> None:
    print_figures(measure())


if __name__ == "__main__":
    main()
