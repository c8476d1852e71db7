"""Key material for a throw-away kube-apiserver: a CA, a loopback serving cert, service-account keys, a token.

Generated with `cryptography` in a few milliseconds, so every cluster gets fresh keys and nothing secret is
committed. EC P-256 keys keep generation fast; kube-apiserver accepts them for serving and for signing
service-account tokens (ES256).
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=30)


@dataclass(frozen=True)
class ClusterPki:
    """Paths of the files kube-apiserver reads, plus the values clients need."""

    ca_cert: Path
    serving_cert: Path
    serving_key: Path
    sa_public_key: Path
    sa_private_key: Path
    tokens_csv: Path
    admin_token: str

    @property
    def ca_pem(self) -> bytes:
        return self.ca_cert.read_bytes()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _certificate(
    subject: str,
    issuer: str,
    public_key: ec.EllipticCurvePublicKey,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # tolerate small clock skew
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        return builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    return builder.add_extension(
        x509.SubjectAlternativeName(
            [
                x509.DNSName("localhost"),
                x509.DNSName("kubernetes"),
                x509.DNSName("kubernetes.default.svc"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            ]
        ),
        critical=False,
    ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)


def write_cluster_pki(directory: Path) -> ClusterPki:
    """Writes ca.crt, apiserver.crt/.key, sa.pub/.key and tokens.csv (admin: system:masters) to directory."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _certificate("octavia-lb-test-ca", "octavia-lb-test-ca", ca_key.public_key(), ca_key, ca=True)
    ca_signed = ca_cert.sign(ca_key, hashes.SHA256())
    serving_key = ec.generate_private_key(ec.SECP256R1())
    serving = _certificate("kube-apiserver", "octavia-lb-test-ca", serving_key.public_key(), ca_key, ca=False)
    sa_key = ec.generate_private_key(ec.SECP256R1())
    token = secrets.token_urlsafe(32)

    pki = ClusterPki(
        ca_cert=directory / "ca.crt",
        serving_cert=directory / "apiserver.crt",
        serving_key=directory / "apiserver.key",
        sa_public_key=directory / "sa.pub",
        sa_private_key=directory / "sa.key",
        tokens_csv=directory / "tokens.csv",
        admin_token=token,
    )
    pki.ca_cert.write_bytes(ca_signed.public_bytes(serialization.Encoding.PEM))
    pki.serving_cert.write_bytes(
        serving.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    )
    _write_secret(pki.serving_key, _key_pem(serving_key))
    _write_secret(pki.sa_private_key, _key_pem(sa_key))
    pki.sa_public_key.write_bytes(
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    # Static token file format: token,user,uid,"group1,group2"
    _write_secret(pki.tokens_csv, f'{token},admin,admin-uid,"system:masters"\n'.encode())
    return pki


def _write_secret(path: Path, data: bytes) -> None:
    path.touch(mode=0o600)
    path.write_bytes(data)
