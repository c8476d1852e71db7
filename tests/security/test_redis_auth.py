"""Redis with a password and over TLS: the real worker consumes, and without credentials everything fails
clearly (a named error, the password never printed).

Servers are real redis-servers: one with `requirepass`, one with `tls-port` (plain port off) and a password,
its certificate signed by a test CA that clients are given through `ssl_ca_certs` in the `rediss://` URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from octavia_lb_devkit.controlplane.processes import ManagedProcess, free_port, start_process
from octavia_lb_devkit.controlplane.redis import RedisServer, redis_server_binary, start_redis
from octavia_lb_devkit.testing.certs import CertFiles

from octavia_lb.worker.runtime import queueing
from octavia_lb.worker.runtime.celery_app import create_app
from octavia_lb.worker.settings import from_env_and_args
from tests.fixtures.worker import ProcessStarter, QueueEnv
from tests.polling import wait_for
from tests.worker_queue.targets import calls_key

PASSWORD = "rEd1s-pw-7f3a9c"  # distinctive, so a leak into a log is found by grep
NS = "security"


@pytest.fixture
def auth_redis(tmp_path: Path) -> Iterator[RedisServer]:
    with start_redis(tmp_path / "redis-auth", password=PASSWORD) as server:
        yield server


@dataclass(frozen=True)
class TlsRedis:
    process: ManagedProcess
    port: int

    def url(self, ca_file: Path, password: str | None = PASSWORD) -> str:
        auth = f":{quote(password)}@" if password else ""
        return f"rediss://{auth}127.0.0.1:{self.port}/0?ssl_cert_reqs=required&ssl_ca_certs={ca_file}"


@pytest.fixture
def tls_redis(tmp_path: Path, tls_certs: CertFiles) -> Iterator[TlsRedis]:
    port = free_port()
    argv = [
        redis_server_binary(), "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
        "--tls-cert-file", str(tls_certs.cert), "--tls-key-file", str(tls_certs.key),
        "--tls-ca-cert-file", str(tls_certs.ca_cert), "--tls-auth-clients", "no",
        "--requirepass", PASSWORD, "--save", "", "--appendonly", "no", "--dir", str(tmp_path),
    ]
    process = start_process("redis-tls", argv, log_path=tmp_path / "redis-tls.log", cwd=tmp_path)
    server = TlsRedis(process, port)
    try:
        wait_for(
            "the TLS redis-server to answer PING",
            lambda: _pings(server.url(tls_certs.ca_cert)),
            10,
            interval=0.1,
        )
        yield server
    finally:
        process.stop()


def _pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _round_trip(url: str, queue_env: QueueEnv, start_worker: ProcessStarter, name: str) -> str:
    """Start a real worker on `url`, enqueue a reconcile there, wait for the worker to run it; its log."""
    worker = start_worker(OCTAVIA_LB_REDIS_URL=url)
    app = create_app(from_env_and_args(env={**queue_env.env, "OCTAVIA_LB_REDIS_URL": url}))
    client = redis.Redis.from_url(url)
    assert queueing.enqueue_reconcile(app, client, NS, name)
    wait_for(
        f"the worker to run {name} over {url[:9]}",
        lambda: client.llen(calls_key(NS, name)) == 1,
        20,
        interval=0.1,
    )
    assert json.loads(client.lindex(calls_key(NS, name), 0))["action"] == "ok"
    worker.stop()
    return worker.log


def test_queue_works_with_the_password(
    auth_redis: RedisServer, queue_env: QueueEnv, start_worker: ProcessStarter
) -> None:
    log = _round_trip(auth_redis.url, queue_env, start_worker, "with-password")
    assert PASSWORD not in log and ":***@" in log


@pytest.mark.parametrize("password", [None, "wrong-password"], ids=["no-password", "wrong-password"])
def test_without_the_password_producers_fail_clearly(
    auth_redis: RedisServer, queue_env: QueueEnv, password: str | None
) -> None:
    auth = f":{password}@" if password else ""
    url = f"redis://{auth}127.0.0.1:{auth_redis.port}/0"
    app = create_app(from_env_and_args(env={**queue_env.env, "OCTAVIA_LB_REDIS_URL": url}))
    with pytest.raises(redis.AuthenticationError) as raised:
        queueing.enqueue_reconcile(app, redis.Redis.from_url(url), NS, "refused")
    # redis-py's own words differ by case (HELLO/AUTH refused, wrong pair); all say what failed
    assert "authenticat" in str(raised.value).lower() or "password" in str(raised.value).lower()
    # and nothing reached the queue
    assert redis.Redis.from_url(auth_redis.url).dbsize() == 0


def test_a_worker_without_the_password_says_so_and_runs_nothing(
    auth_redis: RedisServer, start_worker: ProcessStarter
) -> None:
    worker = start_worker(OCTAVIA_LB_REDIS_URL=f"redis://127.0.0.1:{auth_redis.port}/0", wait=False)
    wait_for(
        "the worker to report the missing password",
        lambda: "Authentication required" in worker.log or not worker.managed.running(),
        30,
        interval=0.1,
    )
    assert "Authentication required" in worker.log, worker.log[-2000:]
    assert "ready." not in worker.log
    worker.stop()


def test_queue_works_over_tls_with_a_ca_file(
    tls_redis: TlsRedis, tls_certs: CertFiles, queue_env: QueueEnv, start_worker: ProcessStarter
) -> None:
    log = _round_trip(tls_redis.url(tls_certs.ca_cert), queue_env, start_worker, "over-tls")
    assert PASSWORD not in log


def test_tls_with_an_untrusted_ca_is_refused(tls_redis: TlsRedis, tmp_path: Path) -> None:
    from octavia_lb_devkit.testing.certs import write_certs

    other_ca = write_certs(tmp_path / "other-ca").ca_cert
    with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
        redis.Redis.from_url(tls_redis.url(other_ca), socket_timeout=2).ping()
