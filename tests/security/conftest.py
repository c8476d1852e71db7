"""The reconcile harness's `reconcile_env` (real kube-apiserver, Redis, simulator) for the ownership tests."""

from tests.reconcile.conftest import reconcile_env  # noqa: F401  (the fixture, shared with tests/reconcile)
