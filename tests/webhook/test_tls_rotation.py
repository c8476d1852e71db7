"""Certificate rotation on disk is picked up by the running webhook, without a restart."""

from __future__ import annotations

import shutil
import socket
import ssl
import time
from pathlib import Path

import pytest
from cryptography import x509
from octavia_lb_devkit.testing.certs import CertFiles, make_ca, make_serving_cert, write_certs

from octavia_lb.common.config import CloudConfig
from octavia_lb.common.kube import ServicesCache
from octavia_lb.webhook.app import create_app
from octavia_lb.webhook.tls import CertReloader, TLSConfigError
from tests.fixtures.tls import client_context
from tests.fixtures.webhook import RunningWebhook, webhook_thread


def served_common_name(webhook: RunningWebhook, ca_file: Path) -> str:
    """Open a new connection and read the CN of the certificate the server presents."""
    context = client_context(ca_file)
    with (
        socket.create_connection(("127.0.0.1", webhook.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).subject.rfc4514_string()


def wait_for(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


def test_rotated_certificate_is_served_without_restart(fresh_tls_certs: CertFiles, tmp_path: Path) -> None:
    app = create_app(CloudConfig.default(), ServicesCache.static())
    with webhook_thread(app, fresh_tls_certs, reload_interval=0.1) as running:
        assert served_common_name(running, fresh_tls_certs.ca_cert) == "CN=octavia-lb-webhook"
        with running.client() as keep_alive:
            assert keep_alive.get("/healthz").status_code == 200
            # rotate to a certificate from a new CA, as a renewal would, by replacing both files
            rotated = write_certs(tmp_path / "next", common_name="rotated")
            shutil.copyfile(rotated.cert, fresh_tls_certs.cert)
            shutil.copyfile(rotated.key, fresh_tls_certs.key)
            wait_for(lambda: running.reloader is not None and running.reloader.reloads == 1)
            assert served_common_name(running, rotated.ca_cert) == "CN=rotated"
            # the connection opened before the rotation keeps working
            assert keep_alive.get("/healthz").status_code == 200


def test_half_written_pair_keeps_the_old_certificate(fresh_tls_certs: CertFiles, tmp_path: Path) -> None:
    reloader = CertReloader.for_files(fresh_tls_certs.cert, fresh_tls_certs.key)
    other = write_certs(tmp_path / "other", common_name="other")
    shutil.copyfile(other.cert, fresh_tls_certs.cert)  # the key has not been replaced yet
    assert reloader.check() is False and reloader.reloads == 0
    shutil.copyfile(other.key, fresh_tls_certs.key)
    assert reloader.check() is True and reloader.reloads == 1
    assert reloader.check() is False  # unchanged files: no reload


def test_missing_files_name_the_flags(tmp_path: Path) -> None:
    with pytest.raises(TLSConfigError, match="--tls-cert .*missing.crt"):
        CertReloader.for_files(tmp_path / "missing.crt", tmp_path / "missing.key")


def test_generated_certificate_covers_the_names(tmp_path: Path) -> None:
    ca_cert, ca_key = make_ca()
    cert_pem, _ = make_serving_cert(ca_cert, ca_key, ["webhook.octavia-lb.svc"])
    cert = x509.load_pem_x509_certificate(cert_pem)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(sans.get_values_for_type(x509.DNSName)) == {"localhost", "webhook.octavia-lb.svc"}
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    files = write_certs(tmp_path, ["webhook.octavia-lb.svc"])
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(files.cert, files.key)  # a matching pair
    assert oct(files.key.stat().st_mode & 0o777) == "0o600"
