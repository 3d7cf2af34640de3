"""console/affinity.py: server workers claim CPUs one each, round by round, and keep every
thread on the CPU claimed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from console import affinity

ROOT = Path(__file__).resolve().parents[2]


def test_claims_go_round_the_cpus_and_a_released_one_is_taken_again(tmp_path):
    first = affinity.claim(str(tmp_path), [2, 5])
    second = affinity.claim(str(tmp_path), [2, 5])
    third = affinity.claim(str(tmp_path), [2, 5])
    assert [first[0], second[0], third[0]] == [2, 5, 2]  # a third worker on 2 CPUs doubles up
    os.close(second[1])  # its worker died: the kernel drops the flock
    again = affinity.claim(str(tmp_path), [2, 5])
    assert again[0] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cpu2.0", "cpu2.1", "cpu5.0"]
    for fd in (first[1], third[1], again[1]):
        os.close(fd)


def test_no_claim_is_left_after_every_round(tmp_path, monkeypatch):
    monkeypatch.setattr(affinity, "ROUNDS", 1)
    held = affinity.claim(str(tmp_path), [0])
    assert affinity.claim(str(tmp_path), [0]) is None
    os.close(held[1])


PROBE = """
import json, os, sys, threading
from console import affinity
started = threading.Event(); stop = threading.Event()
def wait():
    started.set(); stop.wait()
early = threading.Thread(target=wait); early.start(); started.wait()
cpu = affinity.pin_worker(json.loads(sys.argv[1]))
late = []
t = threading.Thread(target=lambda: late.append(sorted(os.sched_getaffinity(0)))); t.start(); t.join()
early_cpus = sorted(os.sched_getaffinity(early.native_id))
stop.set(); early.join()
print(json.dumps({"cpu": cpu, "main": sorted(os.sched_getaffinity(0)), "early": early_cpus, "late": late[0]}))
"""


def probe(environ, *prefix):
    out = subprocess.run([*prefix, sys.executable, "-c", PROBE, json.dumps(environ)], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


everywhere = sorted(os.sched_getaffinity(0))
two_cpus = pytest.mark.skipif(len(everywhere) < 2, reason="needs 2 CPUs")


@two_cpus
def test_a_worker_and_its_threads_old_and_new_stay_on_the_cpu_it_claims(tmp_path):
    seen = probe({affinity.ENVIRON: str(tmp_path)})
    assert seen == {"cpu": everywhere[0], "main": [everywhere[0]], "early": [everywhere[0]],
                    "late": [everywhere[0]]}


@two_cpus
def test_a_second_worker_claims_the_next_cpu(tmp_path):
    held = affinity.claim(str(tmp_path), everywhere)  # the first worker's
    assert probe({affinity.ENVIRON: str(tmp_path)})["cpu"] == everywhere[1]
    os.close(held[1])


@two_cpus
@pytest.mark.parametrize("case", ["not a server worker", "claims directory gone"])
def test_nothing_is_pinned_outside_a_server_worker(tmp_path, case):
    environ = {} if case == "not a server worker" else {affinity.ENVIRON: str(tmp_path / "gone")}
    assert probe(environ) == {"cpu": None, "main": everywhere, "early": everywhere, "late": everywhere}


@two_cpus
def test_nothing_is_pinned_on_a_single_cpu(tmp_path):
    seen = probe({affinity.ENVIRON: str(tmp_path)}, "taskset", "-c", str(everywhere[-1]))
    assert seen == {"cpu": None, "main": [everywhere[-1]], "early": [everywhere[-1]], "late": [everywhere[-1]]}
    assert list(tmp_path.iterdir()) == []
