"""`SimControl`: a small client of the simulator's `/_sim/` control API, for tests and benchmarks."""

from __future__ import annotations

from typing import Any

import httpx


class SimControlError(RuntimeError):
    pass


class SimControl:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=f"{self.url}/_sim", timeout=timeout)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self._http.request(method, path, json=body)
        if response.status_code >= 400:
            raise SimControlError(f"{method} /_sim{path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def close(self) -> None:
        self._http.close()

    def health(self) -> bool:
        return bool(self._call("GET", "/health")["ok"])

    def reset(self) -> None:
        self._call("POST", "/reset")

    def seed(self, data: dict[str, Any] | None = None, yaml_text: str | None = None) -> dict[str, int]:
        return self._call("POST", "/seed", {"yaml": yaml_text} if yaml_text is not None else data)["seeded"]

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/state")

    def counts(self) -> dict[str, int]:
        return self._call("GET", "/counts")["counts"]

    def internal_errors(self) -> list[str]:
        return self._call("GET", "/counts")["internal_errors"]

    def clear_counts(self) -> None:
        self._call("DELETE", "/counts")

    def routes(self) -> list[str]:
        return self._call("GET", "/routes")["templates"]

    def faults(self) -> dict[str, Any]:
        return self._call("GET", "/faults")

    def fail_next(
        self, route: str, status: int, count: int = 1, message: str | None = None
    ) -> dict[str, Any]:
        return self._call(
            "POST", "/faults/fail", {"route": route, "status": status, "count": count, "message": message}
        )["rule"]

    def error_rate(self, rate: float, statuses: list[int] | None = None) -> None:
        self._call("POST", "/faults/rate", {"rate": rate, "statuses": statuses})

    def latency(self, seconds: float) -> None:
        self._call("POST", "/faults/latency", {"seconds": seconds})

    def error_builds(self, count: int = 1) -> None:
        self._call("POST", "/faults/error-builds", {"count": count})

    def expire_tokens(self) -> int:
        return self._call("POST", "/faults/expire-tokens")["expired"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_delays(self, **delays: float | tuple[float, float]) -> dict[str, Any]:
        return self._call(
            "PUT", "/delays", {k: list(v) if isinstance(v, tuple) else v for k, v in delays.items()}
        )

    def advance(self, seconds: float) -> int:
        return self._call("POST", "/clock/advance", {"seconds": seconds})["ran"]
