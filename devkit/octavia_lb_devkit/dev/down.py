"""`octavia-lb dev down`: remove the webhook configurations, then stop what `up` started, newest part first.

The configurations go first so the API server is never left calling a webhook that no longer answers.
Only recorded processes (same PID and start time) and their process groups are signalled. Logs are kept;
running `down` again finds nothing to stop and succeeds.
"""

from __future__ import annotations

from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from octavia_lb_devkit.dev import kubesetup
from octavia_lb_devkit.dev.health import check
from octavia_lb_devkit.dev.layout import PART_ORDER, StateDir
from octavia_lb_devkit.dev.procs import stop_entry
from octavia_lb_devkit.dev.up import say


def down(state: StateDir) -> int:
    parts = state.load_parts()
    api = parts.get("kube-apiserver")
    if api is not None and check(api).healthy:
        try:
            kubesetup.unregister(state.kubeconfig)
            say("webhook", "configurations removed")
        except (ApiException, HTTPError, OSError) as exc:
            say("webhook", f"could not remove the configurations ({exc}); stopping anyway")
    registry = state.pids
    entries = registry.entries()
    rank = {name: i for i, name in enumerate(PART_ORDER)}
    # reverse start order; anything unknown (newer parts) first, most recent first
    for entry in sorted(entries, key=lambda e: (-rank.get(e.name, len(PART_ORDER)), -e.recorded_at)):
        stopped = stop_entry(entry)
        say(entry.name, f"stopped (pid {entry.pid})" if stopped else f"was not running (pid {entry.pid})")
        registry.forget(entry.name)
        state.forget_part(entry.name)
    for name in parts:  # recorded without a pidfile (a crash between the two writes)
        state.forget_part(name)
    if not entries:
        say("stack", f"nothing running from {state.root}")
    print(f"logs kept in {state.root.resolve()}", flush=True)
    return 0
