"""Registers every fixture module in tests/fixtures/ as a pytest plugin.

Fixtures that start real processes (etcd, kube-apiserver, Redis, the OpenStack simulator, the webhook) live
there so that every test directory can use them; each module owns one kind of process.
"""

from pathlib import Path

pytest_plugins = [
    f"tests.fixtures.{path.stem}"
    for path in sorted((Path(__file__).parent / "fixtures").glob("[!_]*.py"))
]
