"""Fault-suite fixtures: the reconcile harness's `reconcile_env` (real kube-apiserver, Redis, simulator).

Every test module here sets `pytestmark = pytest.mark.faults`; see tests/faults/harness.py for FAULTS_SCALE.
"""

from tests.reconcile.conftest import reconcile_env  # noqa: F401  (the fixture, shared with tests/reconcile)
