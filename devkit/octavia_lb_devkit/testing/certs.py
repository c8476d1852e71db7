"""A throw-away CA and serving certificate (ECDSA P-256) for the webhook, for tests and local runs.

`python -m octavia_lb_devkit.testing.certs --out DIR [--dns NAME]...` writes ca.crt, tls.crt and tls.key; the
serving certificate always covers localhost and 127.0.0.1 besides the given DNS names.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class CertFiles:
    ca_cert: Path
    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _builder(
    subject: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, days: int
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # tolerate small clock skew
        .not_valid_after(now + datetime.timedelta(days=days))
    )


def make_ca(common_name: str = "octavia-lb webhook CA", days: int = 365) -> tuple[bytes, bytes]:
    """A self-signed CA: (certificate PEM, key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(common_name, _name(common_name), key, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    return _cert_pem(cert), _key_pem(key)


def make_serving_cert(
    ca_cert_pem: bytes,
    ca_key_pem: bytes,
    dns_names: Sequence[str] = (),
    common_name: str = "octavia-lb-webhook",
    days: int = 90,
) -> tuple[bytes, bytes]:
    """A serving certificate signed by the CA, valid for localhost, 127.0.0.1 and `dns_names`."""
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError("the CA key must be an ECDSA key")
    key = ec.generate_private_key(ec.SECP256R1())
    names = list(dict.fromkeys(["localhost", *dns_names]))
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    sans.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    cert = (
        _builder(common_name, ca_cert.subject, key, days)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return _cert_pem(cert), _key_pem(key)


def write_certs(
    out: Path, dns_names: Sequence[str] = (), common_name: str = "octavia-lb-webhook"
) -> CertFiles:
    """Write ca.crt, tls.crt and tls.key (mode 0600) into `out`; the CA key is not kept."""
    out.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = make_ca()
    cert, key = make_serving_cert(ca_cert, ca_key, dns_names, common_name)
    files = CertFiles(out / "ca.crt", out / "tls.crt", out / "tls.key")
    files.ca_cert.write_bytes(ca_cert)
    files.cert.write_bytes(cert)
    files.key.touch(mode=0o600)
    files.key.write_bytes(key)
    files.key.chmod(0o600)
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m octavia_lb_devkit.testing.certs", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", required=True, type=Path, help="directory for ca.crt, tls.crt, tls.key")
    parser.add_argument(
        "--dns", action="append", default=[], metavar="NAME", help="extra DNS SAN (repeatable)"
    )
    parser.add_argument("--common-name", default="octavia-lb-webhook")
    args = parser.parse_args(argv)
    files = write_certs(args.out, args.dns, args.common_name)
    print(f"wrote {files.ca_cert}, {files.cert}, {files.key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
