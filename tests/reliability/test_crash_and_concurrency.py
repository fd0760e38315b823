"""No error loses an acknowledged record: a writer killed mid-stream, and writers racing on one file."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor
from uuid import UUID

import pytest

from service.ledger import Ledger, record_id_for

pytestmark = pytest.mark.slow

WRITER = textwrap.dedent("""
    import sys
    from service.ledger import Ledger
    ledger = Ledger({"TAIZHANG_DATA": sys.argv[1]})
    i = 0
    while True:
        payload = {"kind": "talk", "key": f"crash-{i}", "organisation": "东西湖区工商联",
                   "occurred_on": "2020-06-01", "title": f"讲座 {i}"}
        result = ledger.log(payload, actor="crash")
        print(result.id, flush=True)   # acknowledged only after log() returned
        i += 1
""")


def test_records_acknowledged_before_a_kill_9_are_all_there_after_restart(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                            cwd=os.getcwd())
    acknowledged = []
    deadline = time.time() + 60
    while len(acknowledged) < 200 and time.time() < deadline:
        line = proc.stdout.readline()
        if line:
            acknowledged.append(UUID(line.strip()))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert len(acknowledged) >= 200
    ledger = Ledger({"TAIZHANG_DATA": str(tmp_path)})
    for record_id in acknowledged:
        assert ledger.get(record_id)["kind"] == "talk"
    # nothing half-written: every stored record is whole and the store passes its own check
    assert ledger.integrity_check() == []
    stored = [json.loads(line) for line in ledger.export_lines()]
    assert len(stored) >= len(acknowledged)
    assert all(s["title"].startswith("讲座 ") for s in stored)


def _log_many(args):
    folder, worker, count = args
    ledger = Ledger({"TAIZHANG_DATA": folder})
    ids = []
    for i in range(count):
        # every worker also retries the same shared keys: only one record per key may result
        key = f"shared-{i % 10}" if i % 5 == 0 else f"w{worker}-{i}"
        payload = {"kind": "talk", "key": key, "organisation": "东西湖区工商联", "occurred_on": "2020-06-01",
                   "title": key}
        ids.append((key, str(ledger.log(payload, actor=f"w{worker}").id)))
    return ids


def test_four_processes_logging_at_once_lose_nothing_and_duplicate_nothing(tmp_path):
    Ledger({"TAIZHANG_DATA": str(tmp_path)})  # create the tables once
    with ProcessPoolExecutor(4) as pool:
        results = list(pool.map(_log_many, [(str(tmp_path), w, 60) for w in range(4)]))
    ledger = Ledger({"TAIZHANG_DATA": str(tmp_path)})
    acknowledged = {key: rid for batch in results for key, rid in batch}
    for key, rid in acknowledged.items():
        assert rid == str(record_id_for(key))
        assert ledger.get(UUID(rid))["key"] == key
    exported = [json.loads(line)["key"] for line in ledger.export_lines()]
    assert len(exported) == len(set(exported)) == len(acknowledged)


def test_concurrent_corrections_of_one_record_keep_exactly_one_per_version(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from domain.errors import ConflictError

    ledger = Ledger({"TAIZHANG_DATA": str(tmp_path)})
    rid = ledger.log({"kind": "job_fair", "key": "jf", "organisation": "o", "occurred_on": "2020-06-01",
                      "title": "招聘会", "mode": "online", "posts": 1}, actor="a").id

    def correct(n):
        other = Ledger({"TAIZHANG_DATA": str(tmp_path)})
        try:
            other.correct(rid, {"posts": 100 + n}, "并发", actor=f"t{n}", expected_version=1)
            return n
        except ConflictError:
            return None

    with ThreadPoolExecutor(6) as pool:
        winners = [n for n in pool.map(correct, range(6)) if n is not None]
    assert len(winners) == 1
    record = ledger.get(rid)
    assert record["version"] == 2
    assert record["posts"]["value"] == 100 + winners[0]
