"""A small stand-in for the kube-apiserver's Services list+watch, for the Services cache's tests and the
webhook benchmark (which runs without a cluster and must not import from `tests/`).

It serves `GET /api/v1/services` as a paginated list and, with `watch=true`, as a real chunked watch stream
that stays open and delivers events as the test adds, changes or deletes Services. `expire()` makes every
older resourceVersion answer 410 Gone (as an HTTP status or as an ERROR event), to exercise re-listing;
`bookmark()` sends a BOOKMARK; `fail_lists = n` answers the next n lists 500. `GET /api/v1/nodes` is an
empty list with a watch that sends nothing, enough for the dispatcher, which watches both.
"""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse


class ListWatchServer:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.services: dict[tuple[str, str], dict[str, Any]] = {}
        self.events: list[tuple[int, str, dict[str, Any]]] = []
        self.rv = 100
        self.gone_below = 0
        self.expire_as_event = True
        self.list_gate = threading.Event()
        self.list_gate.set()
        self.list_requests = 0
        self.fail_lists = 0
        self.watch_requests = 0
        self.watch_versions: list[str] = []
        self._closing = False
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> ListWatchServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    def write_kubeconfig(self, path: Path) -> Path:
        path.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters: [{{name: stub, cluster: {{server: '{self.url}'}}}}]\n"
            "users: [{name: u, user: {token: test-token}}]\n"
            "contexts: [{name: c, context: {cluster: stub, user: u}}]\ncurrent-context: c\n"
        )
        return path

    # -- what tests call --

    def _record(self, kind: str, service: dict[str, Any]) -> None:
        with self._cond:
            self.rv += 1
            service = json.loads(json.dumps(service))
            service.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
            key = (service["metadata"].get("namespace", ""), service["metadata"]["name"])
            if kind == "DELETED":
                self.services.pop(key, None)
            else:
                self.services[key] = service
            self.events.append((self.rv, kind, service))
            self._cond.notify_all()

    def put(self, service: dict[str, Any]) -> None:
        meta = service["metadata"]
        exists = (meta.get("namespace", ""), meta["name"]) in self.services
        self._record("MODIFIED" if exists else "ADDED", service)

    def delete(self, namespace: str, name: str) -> None:
        self._record("DELETED", self.services[(namespace, name)])

    def bookmark(self) -> None:
        """A BOOKMARK event at a new resourceVersion, as the API server sends to idle watches."""
        with self._cond:
            self.rv += 1
            self.events.append(
                (self.rv, "BOOKMARK", {"kind": "Service", "metadata": {"resourceVersion": str(self.rv)}})
            )
            self._cond.notify_all()

    def expire(self) -> None:
        """Forget history: watches from any version seen so far get 410 Gone, open ones included."""
        with self._cond:
            self.rv += 1
            self.gone_below = self.rv
            self.events.clear()
            self._cond.notify_all()

    # -- HTTP --

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/api/v1/nodes":
                    server._serve_nodes(self, query)
                elif url.path != "/api/v1/services":
                    self._json(404, {"kind": "Status", "code": 404, "message": f"no {url.path}"})
                elif query.get("watch") == "true":
                    server._serve_watch(self, query)
                else:
                    server._serve_list(self, query)

            def _json(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _serve_nodes(self, handler: Any, query: dict[str, str]) -> None:
        if query.get("watch") != "true":
            with self._cond:
                rv = str(self.rv)
            handler._json(
                200,
                {"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": rv}, "items": []},
            )
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        with self._cond:  # no Node ever changes: hold the watch open until its timeout or the server stops
            self._cond.wait_for(lambda: self._closing, float(query.get("timeoutSeconds") or 60))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.wfile.write(b"0\r\n\r\n")

    def _serve_list(self, handler: Any, query: dict[str, str]) -> None:
        self.list_gate.wait()
        with self._cond:
            self.list_requests += 1
            failing, self.fail_lists = self.fail_lists > 0, max(self.fail_lists - 1, 0)
            items = [self.services[k] for k in sorted(self.services)]
            rv = self.rv
        if failing:
            handler._json(500, {"kind": "Status", "code": 500, "message": "injected failure"})
            return
        start = int(query.get("continue") or 0)
        limit = int(query.get("limit") or len(items) or 1)
        page = items[start : start + limit]
        metadata: dict[str, Any] = {"resourceVersion": str(rv)}
        if start + limit < len(items):
            metadata["continue"] = str(start + limit)
        handler._json(200, {"kind": "ServiceList", "apiVersion": "v1", "metadata": metadata, "items": page})

    def _serve_watch(self, handler: Any, query: dict[str, str]) -> None:
        since = int(query.get("resourceVersion") or 0)
        with self._cond:
            self.watch_requests += 1
            self.watch_versions.append(str(since))
            expired = since < self.gone_below
        gone = {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "code": 410,
            "reason": "Expired",
            "message": f"too old resource version: {since} ({self.gone_below})",
        }
        if expired and not self.expire_as_event:
            handler._json(410, gone)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            if expired:
                self._send_chunk(handler, {"type": "ERROR", "object": gone})
            else:
                self._stream(handler, since, float(query.get("timeoutSeconds") or 60), gone)
            handler.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _stream(self, handler: Any, since: int, timeout: float, gone: dict[str, Any]) -> None:
        sent = since
        with self._cond:
            while not self._closing:
                if sent < self.gone_below:
                    self._send_chunk(handler, {"type": "ERROR", "object": gone})
                    return
                for rv, kind, obj in self.events:
                    if rv > sent:
                        self._send_chunk(handler, {"type": kind, "object": obj})
                        sent = rv
                if not self._cond.wait(timeout):
                    return

    @staticmethod
    def _send_chunk(handler: Any, event: dict[str, Any]) -> None:
        data = json.dumps(event).encode() + b"\n"
        handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        handler.wfile.flush()
