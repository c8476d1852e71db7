"""The webhook's TLS: an SSLContext (TLS 1.2+) whose certificate is reloaded when its files change on disk.

Reloading calls `load_cert_chain` on the live context, so the next handshake presents the new certificate
without a restart (connections already open keep the old one). The check runs on the server's event loop,
not in a thread: CPython releases the GIL inside `load_cert_chain`, and a handshake must not run while
OpenSSL swaps the context's certificate.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


class TLSConfigError(ValueError):
    pass


def _fingerprint(path: Path) -> tuple[int, int, int]:
    # stat follows symlinks, so a Kubernetes Secret volume's atomic `..data` swap is seen as a change
    st = os.stat(path)
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def server_context(cert_file: str | Path, key_file: str | Path) -> ssl.SSLContext:
    """A server context that refuses anything older than TLS 1.2, loaded from PEM files."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    try:
        context.load_cert_chain(str(cert_file), str(key_file))
    except (OSError, ssl.SSLError) as exc:
        raise TLSConfigError(f"cannot load --tls-cert {cert_file} / --tls-key {key_file}: {exc}") from exc
    return context


@dataclass
class CertReloader:
    """Watches the certificate and key files and reloads them into `context` when either changes."""

    context: ssl.SSLContext
    cert_file: Path
    key_file: Path
    interval: float = 2.0
    reloads: int = 0

    def __post_init__(self) -> None:
        self._seen = self._stamp()

    @classmethod
    def for_files(cls, cert_file: str | Path, key_file: str | Path, interval: float = 2.0) -> CertReloader:
        return cls(server_context(cert_file, key_file), Path(cert_file), Path(key_file), interval)

    def _stamp(self) -> tuple[tuple[int, int, int], tuple[int, int, int]] | None:
        try:
            return (_fingerprint(self.cert_file), _fingerprint(self.key_file))
        except OSError:
            return None  # mid-rotation: one file is briefly missing

    def check(self) -> bool:
        """Reload if the files changed since the last successful load; True when a reload happened."""
        stamp = self._stamp()
        if stamp is None or stamp == self._seen:
            return False
        try:
            # a pair that fails half way would leave the live context with the new cert and the old key,
            # so prove the pair on a scratch context first
            ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(str(self.cert_file), str(self.key_file))
            self.context.load_cert_chain(str(self.cert_file), str(self.key_file))
        except (OSError, ssl.SSLError) as exc:
            # the writer may have replaced the cert but not yet the key; keep serving the old pair
            log.warning("new TLS certificate not loaded yet (%s); retrying", exc)
            return False
        self._seen = stamp
        self.reloads += 1
        log.info("reloaded TLS certificate from %s", self.cert_file)
        return True

    async def watch(self) -> None:
        """Check every `interval` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            self.check()
