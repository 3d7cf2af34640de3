"""bench/run.py's account of the CPU time the hypervisor took during a run (steal), which
tells a run slowed by the machine from a slow server."""

import importlib.util
import time
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[2] / "bench" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ticks(user=0, system=0, idle=0, steal=0, guest=0):
    # /proc/stat's order: user nice system idle iowait irq softirq steal guest guest_nice
    return [user, 0, system, idle, 0, 0, 0, steal, guest, 0]


def test_the_share_stolen_is_steal_over_all_the_machines_time(bench):
    before = ticks(user=1000, system=300, idle=5000, steal=20, guest=0)
    after = ticks(user=1600, system=500, idle=5050, steal=170, guest=400)
    # 600 + 200 + 50 + 150 ticks spent; guest time is part of user time, not added again.
    assert bench.stolen_percent(before, after) == pytest.approx(15.0)


def test_no_share_without_a_steal_count_or_without_time(bench):
    assert bench.stolen_percent([1, 2, 3, 4, 5, 6, 7], [2, 3, 4, 5, 6, 7, 8]) is None
    assert bench.stolen_percent(ticks(user=5), ticks(user=5)) is None


def test_the_machines_counts_are_read_and_only_grow(bench):
    first = bench.machine_cpu_ticks()
    time.sleep(0.05)  # idle time counts too: the clock ticks on every CPU
    second = bench.machine_cpu_ticks()
    assert len(first) >= 8
    assert all(b >= a for a, b in zip(first, second))
    assert sum(second[:8]) > sum(first[:8])


def test_the_table_shows_what_was_stolen_from_each_servers_run(bench):
    row = bench.ROWS[0]
    run = {"rps": 7000.0, "p50": 0.4, "p99": 95.0, "cpu": 0.25, "errors": 0, "n": 28000,
           "split": "50:50", "connections": "2:2"}
    through = {
        (row.key, 1, "iamlab"): {**run, "stolen": 0.0},
        (row.key, 1, "moto"): {**run, "rps": 600.0, "stolen": None},
        (row.key, 4, "iamlab"): {**run, "stolen": 14.25},
        (row.key, 4, "moto"): {**run, "rps": 600.0, "stolen": 0.04},
    }
    text = bench.build_table([row], through, {}, [], [], {})
    lines = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:4]] for line in text.splitlines()
             if "stolen" in line}
    assert lines[f"{row.title}, 1 conn: CPU time stolen by the hypervisor %"] == ["0.0", "—"]
    assert lines[f"{row.title}, 4 conn: CPU time stolen by the hypervisor %"] == ["14.2", "0.0"]
    assert lines[f"{row.title}, 8 conn: CPU time stolen by the hypervisor %"] == ["—", "—"]
