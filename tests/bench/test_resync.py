"""bench.resync end to end at a small N: the table's shape, the target, and the sanity of each figure."""

from __future__ import annotations

from tests.bench.helpers import alive, announced_pids, numbers, run_bench, tables

COLUMNS = [
    "N", "per-Service resync (baseline)", "bulk, cold", "bulk, settled", "settled / baseline",
    "target 20 + N/500", "enqueued", "settled s (lists s)", "drift found",
]  # fmt: skip


def test_small_run_meets_the_target_and_finds_the_two_hand_changes():
    out = run_bench("bench.resync", "--sizes", "12", "--sample", "4", timeout=300)
    [table] = tables(out)
    header, *rows = table
    assert header == COLUMNS
    [row] = rows
    cells = dict(zip(header, row, strict=True))
    assert cells["N"] == "12"
    baseline, per_service, sample, writes = numbers(cells["per-Service resync (baseline)"])
    assert sample == 4 and writes == 0, "the sampled reconciles found the Services settled"
    assert 5 <= per_service <= 9 and baseline == round(per_service * 12)
    cold = numbers(cells["bulk, cold"])[0]
    settled = numbers(cells["bulk, settled"])[0]
    # cold: the lists, the monitor list and one member read per pool; settled: the lists alone
    # (load balancers, listeners, pools; floating IPs)
    assert cold >= 12 + settled + 1 and settled == 4
    assert numbers(cells["settled / baseline"])[0] < 0.1
    assert cells["target 20 + N/500"].endswith("met") and cells["enqueued"] == "0"
    assert cells["drift found"] == "s00010: octavia, s00011: octavia"
    for name, pid in announced_pids(out).items():
        assert not alive(pid), f"{name} (pid {pid}) outlived the benchmark"
