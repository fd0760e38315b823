"""The write side and the auditor's check, for scripts/bench.

1. HTTP: POST /api/actions from 16 concurrent clients on loopback for a bounded time, against the
   app served by waitress in its own process; p50, p99 and throughput, beside the raw per-row insert
   rate of plain sqlite3 (one row per transaction, WAL, synchronous=FULL — the same durability).
2. verify: `Reports.verify` over a store of N events (default 100k), beside a raw scan of the rows.
No figure here is a test assertion; the machine is shared and noisy.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

GOAL_HTTP_P99_MS = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_insert_rate(folder: Path, seconds: float) -> dict:
    """Rows per second when every row is its own durable transaction, as an acknowledged record is."""
    conn = sqlite3.connect(str(folder / "raw.sqlite"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id TEXT, version INTEGER, topic TEXT, state BLOB, PRIMARY KEY (id, version))")
    from scripts.bench import ORG

    state = json.dumps({"title": "讲座", "organisation": ORG, "facts": {"posts": 100}},
                       ensure_ascii=False).encode() * 2
    n, deadline, started = 0, time.perf_counter() + seconds, time.perf_counter()
    while time.perf_counter() < deadline:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t VALUES (?, 1, 'x', ?)", (f"{n:032x}", state))
        conn.execute("COMMIT")
        n += 1
    elapsed = time.perf_counter() - started
    conn.close()
    return {"rows": n, "rows_per_s": round(n / elapsed, 1)}


def http_bench(seconds: float = 20.0, clients: int = 16, say=print) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="taizhang-http-"))
    from scripts.bench import ORG
    from service.bootstrap import Settings, bootstrap

    accounts = bootstrap(Settings(data=folder)).accounts
    accounts.add("bench", "staff", "bench-password")
    token = accounts.issue_token("bench")
    port = _free_port()
    env = {**os.environ, "TAIZHANG_DATA": str(folder), "TAIZHANG_ENV": "production",
           "TAIZHANG_SECRET_KEY": "bench-secret-key"}
    server = subprocess.Popen([sys.executable, "-m", "waitress", "--host", "127.0.0.1", f"--port={port}",
                               f"--threads={clients}", "--call", "api:create_app"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        latencies: list[float] = []
        errors: list[int] = []
        lock = threading.Lock()
        stop_at = time.perf_counter() + seconds

        def client(worker: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine, bad, i = [], [], 0
            while time.perf_counter() < stop_at:
                body = json.dumps({"kind": "talk", "key": f"http-{worker}-{i}", "organisation": ORG,
                                   "occurred_on": "2020-06-01", "title": f"讲座 {worker}-{i}",
                                   "participants": 30}, ensure_ascii=False).encode()
                t = time.perf_counter()
                conn.request("POST", "/api/actions", body=body, headers={
                    "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
                response = conn.getresponse()
                response.read()
                mine.append(time.perf_counter() - t)
                if response.status != 201:
                    bad.append(response.status)
                i += 1
            conn.close()
            with lock:
                latencies.extend(mine)
                errors.extend(bad)

        threads = [threading.Thread(target=client, args=(w,)) for w in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=10)
    latencies.sort()

    def pct(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1) if latencies else 0.0

    raw = raw_insert_rate(folder, min(seconds, 5.0))
    result = {"clients": clients, "seconds": round(elapsed, 1), "requests": len(latencies), "errors": len(errors),
              "p50_ms": pct(0.50), "p99_ms": pct(0.99), "throughput_per_s": round(len(latencies) / elapsed, 1),
              "raw_insert_rows_per_s": raw["rows_per_s"],
              "throughput_vs_raw_insert": round(len(latencies) / elapsed / raw["rows_per_s"], 3),
              "goal_p99_ms": GOAL_HTTP_P99_MS}
    say(f"4. HTTP: {clients} clients POST /api/actions for {elapsed:.0f} s: {result['requests']:,} requests "
        f"({result['errors']} errors), p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms "
        f"(goal ≤ {GOAL_HTTP_P99_MS} ms), {result['throughput_per_s']}/s; raw sqlite3 durable insert "
        f"{raw['rows_per_s']} rows/s → {result['throughput_vs_raw_insert']}× of it")
    return result


def verify_bench(events: int = 100_000, say=print) -> dict:
    from scripts.bench import Generator, Store
    from service import audit as audit_cases
    from service.bootstrap import Settings, bootstrap

    folder = Path(tempfile.mkdtemp(prefix="taizhang-verify-"))
    built = bootstrap(Settings(data=folder))
    ledger = built.ledger
    Store(ledger, Generator()).grow(events, say=lambda *a: None)
    chain_s = 0.0  # the store chains each event as it writes it: nothing to extend any more
    integrity_check, integrity_s = ledger.integrity_check, []

    def timed_integrity_check() -> list[str]:  # the same check verify runs, timed on its own
        started = time.perf_counter()
        try:
            return integrity_check()
        finally:
            integrity_s.append(time.perf_counter() - started)

    ledger.integrity_check = timed_integrity_check
    t = time.perf_counter()
    result = audit_cases.verify(built)  # what `taizhang verify` runs: chain, leaves, every event decoded
    verify_s = time.perf_counter() - t
    ledger.integrity_check = integrity_check
    whole_file_s = sum(integrity_s)
    raw_s, n = raw_chain_scan(str(folder / "ledger.sqlite"))  # the same work at the least: decode and chain
    out = {"events": n, "ok": result.ok, "chain_extend_s": round(chain_s, 2), "verify_s": round(verify_s, 2),
           "verify_events_per_s": round(n / verify_s), "raw_scan_s": round(raw_s, 2),
           "raw_scan_events_per_s": round(n / raw_s), "verify_vs_raw_scan": round(raw_s / verify_s, 3),
           "integrity_check_s": round(whole_file_s, 2),
           "verify_without_integrity_check_s": round(verify_s - whole_file_s, 2),
           "verify_vs_raw_scan_without_integrity_check": round(raw_s / max(verify_s - whole_file_s, 1e-9), 3)}
    say(f"5. verify over {n:,} events: {verify_s:.2f} s ({out['verify_events_per_s']:,} events/s, "
        f"{'OK' if result.ok else 'BAD'}; includes the whole-file integrity_check, the Merkle leaves and decoding every event), "
        f"raw scan + chain {raw_s:.2f} s → {out['verify_vs_raw_scan']}× of its speed; of it the whole-file "
        f"integrity_check {whole_file_s:.2f} s, without it {out['verify_without_integrity_check_s']:.2f} s → "
        f"{out['verify_vs_raw_scan_without_integrity_check']}×")
    ledger.close()
    return out


if __name__ == "__main__":
    print(json.dumps({"http": http_bench(float(sys.argv[1]) if len(sys.argv) > 1 else 20.0),
                      "verify": verify_bench(int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)}))


# --- appends, import, and the same on PostgreSQL -----------------------------------------------------

PG = {"POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "5432", "POSTGRES_USER": "taizhang",
      "POSTGRES_PASSWORD": "taizhang", "POSTGRES_DBNAME": "taizhang_test"}  # as tests/conftest.py's defaults
PG_WRITERS = 16  # concurrent appenders in pg_bench, as many as the HTTP bench's clients
PG_SLICES = 5  # turns of one writer / PG_WRITERS writers / raw psycopg in pg_bench


def raw_chain_scan(db_file: str, table: str = "stored_events") -> tuple[float, int]:
    """A raw scan that does what verify must at the least: json.loads of every state and the same
    SHA-256 chain (domain/chain.py) over the rows."""
    from uuid import UUID

    from domain.chain import GENESIS, links

    t = time.perf_counter()
    conn = sqlite3.connect(db_file)
    head, n = GENESIS, 0
    try:
        cur = conn.execute(f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} ORDER BY rowid")
        while True:
            rows = cur.fetchmany(2000)
            if not rows:
                break
            for row in rows:
                json.loads(row[4])
            made = links(head, [(r[0], UUID(r[1]), r[2], r[3], r[4]) for r in rows])
            head = made[-1][1]
            n += len(rows)
    finally:
        conn.close()
    return time.perf_counter() - t, n


def _appends(ledger, deadline: float, seed: int = 11, prefix: str = "append") -> int:
    """Ledger.save of one new action (made from valid values) at a time until the deadline: how many."""
    from scripts.bench import Generator

    gen = Generator(seed=seed)
    n = 0
    while time.perf_counter() < deadline:
        kind = gen.rng.choices(gen.kinds, gen.weights)[0]
        values = gen.values(kind)
        ledger.save(ledger._new_action(kind, f"{prefix}-{gen.serial}", values, "bench"))  # keys of their own
        n += 1
    return n


def _appends_per_s(ledger, seconds: float) -> float:
    """One new action per durable transaction, one writer: Ledger.save of an aggregate made from valid values."""
    started = time.perf_counter()
    n = _appends(ledger, started + seconds)
    return n / (time.perf_counter() - started)


def _concurrent_appends_per_s(ledger, seconds: float, writers: int = 16, tag: str = "") -> dict:
    """The same from ``writers`` threads at once (one ledger, as the web app's threads share it): appends
    per second in all, and how many transactions they took where the recorder groups them."""
    group = getattr(ledger.recorder, "_group", None)
    before = (group.groups, group.requests) if group else (0, 0)
    counts = [0] * writers
    start = threading.Barrier(writers + 1)
    deadline = [0.0]

    def writer(i: int) -> None:
        start.wait()
        counts[i] = _appends(ledger, deadline[0], seed=100 + i, prefix=f"append{writers}{tag}-{i}")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    group = getattr(ledger.recorder, "_group", None)
    groups = (group.groups - before[0], group.requests - before[1]) if group else (None, None)
    return {"writers": writers, "appends": sum(counts), "seconds": elapsed, "appends_per_s": round(sum(counts) / elapsed, 1),
            "transactions": groups[0], "requests": groups[1]}


def append_bench(seconds: float = 5.0, say=print) -> dict:
    from service.bootstrap import Settings, bootstrap

    folder = Path(tempfile.mkdtemp(prefix="taizhang-append-"))
    ledger = bootstrap(Settings(data=folder)).ledger
    rate = _appends_per_s(ledger, seconds)
    ledger.close()
    raw = raw_insert_rate(folder, seconds)
    out = {"appends_per_s": round(rate, 1), "raw_insert_rows_per_s": raw["rows_per_s"],
           "ratio": round(rate / raw["rows_per_s"], 3)}
    say(f"6. appends (one writer, one durable transaction each): {out['appends_per_s']}/s; raw sqlite3 "
        f"{raw['rows_per_s']}/s → {out['ratio']}×")
    return out


def _raw_insert_one_transaction(folder: Path, states: list[bytes]) -> float:
    """Rows per second inserting every state in one durable transaction (plain sqlite3)."""
    conn = sqlite3.connect(str(folder / "raw-import.sqlite"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id TEXT, version INTEGER, topic TEXT, state BLOB, PRIMARY KEY (id, version))")
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t VALUES (?, 1, 'x', ?)", ((os.urandom(16).hex(), s) for s in states))
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return len(states) / elapsed


def import_lines_for(n: int) -> list[str]:
    from scripts.bench import Generator

    gen = Generator(seed=7)
    return [json.dumps(gen.payload(), ensure_ascii=False, default=str) for _ in range(n)]


def import_bench(lines: int = 100_000, say=print) -> dict:
    from service.bootstrap import Settings, bootstrap

    folder = Path(tempfile.mkdtemp(prefix="taizhang-import-"))
    text = import_lines_for(lines)
    ledger = bootstrap(Settings(data=folder)).ledger
    started = time.perf_counter()
    report = ledger.import_lines(text, actor="bench")
    elapsed = time.perf_counter() - started
    ledger.close()
    raw = _raw_insert_one_transaction(folder, [t.encode() for t in text])
    out = {"lines": lines, "added": report.added, "seconds": round(elapsed, 2),
           "lines_per_s": round(lines / elapsed, 1), "raw_insert_rows_per_s": round(raw, 1),
           "ratio": round(lines / elapsed / raw, 4)}
    say(f"7. import of {lines:,} lines: {elapsed:.1f} s, {out['lines_per_s']:,} lines/s; raw one-transaction "
        f"insert {out['raw_insert_rows_per_s']:,} rows/s → {out['ratio']}×")
    return out


def _pg_connect(**kw):
    import psycopg

    return psycopg.connect(host=PG["POSTGRES_HOST"], port=int(PG["POSTGRES_PORT"]), user=PG["POSTGRES_USER"],
                           password=PG["POSTGRES_PASSWORD"], dbname=PG["POSTGRES_DBNAME"], connect_timeout=5, **kw)


def pg_bench(seconds: float = 5.0, events: int = 100_000, say=print) -> dict | None:
    """Appends and rebuild on PostgreSQL, in a schema of their own (dropped afterwards); None when the
    server is not there."""
    from uuid import uuid4

    try:
        with _pg_connect(autocommit=True) as conn:
            conn.execute("SELECT 1")
    except Exception as e:  # noqa: BLE001 - no server, no figures
        say(f"8. PostgreSQL: not reachable ({e}); skipped")
        return None
    from scripts.bench import ORG, Generator, Store
    from service.bootstrap import Settings, bootstrap

    schema = f"bench_{uuid4().hex[:12]}"
    with _pg_connect(autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    folder = Path(tempfile.mkdtemp(prefix="taizhang-pg-"))
    env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", **PG, "POSTGRES_SCHEMA": schema}
    try:
        built = bootstrap(Settings(data=folder, ledger_env=env))
        ledger = built.ledger
        # one writer, 16 writers and raw psycopg in turns, a slice each: the shared machine's noise (other
        # work on the two cores, the disk's fsync time) then falls on all three alike
        with _pg_connect() as conn:  # raw psycopg: one row per committed transaction
            conn.execute(f'CREATE TABLE "{schema}".raw (id uuid, version int, topic text, state bytea, '
                         "PRIMARY KEY (id, version))")
            conn.commit()
            state = json.dumps({"title": "讲座", "organisation": ORG}, ensure_ascii=False).encode() * 2
            one, many, raw = [0, 0.0], [0, 0.0, 0], [0, 0.0]
            part = seconds / PG_SLICES
            for turn in range(PG_SLICES):
                started = time.perf_counter()
                one[0] += _appends(ledger, started + part, seed=11 + turn, prefix=f"append-{turn}")
                one[1] += time.perf_counter() - started
                concurrent = _concurrent_appends_per_s(ledger, part, PG_WRITERS, tag=str(turn))
                many[0] += concurrent["appends"]
                many[1] += concurrent["seconds"]
                many[2] += concurrent["transactions"] or 0
                n, started = 0, time.perf_counter()
                while time.perf_counter() < started + part:
                    conn.execute(f'INSERT INTO "{schema}".raw VALUES (%s, 1, %s, %s)', (uuid4(), "x", state))
                    conn.commit()
                    n += 1
                raw[0] += n
                raw[1] += time.perf_counter() - started
            rate, raw_rate = one[0] / one[1], raw[0] / raw[1]
            grouped = getattr(ledger.recorder, "_group", None) is not None
            concurrent = {"appends": many[0], "appends_per_s": round(many[0] / many[1], 1),
                          "transactions": many[2] if grouped else None}
        Store(ledger, Generator()).grow(events, say=lambda *a: None)
        total = ledger.recorder.max_notification_id() or 0
        table = ledger.recorder.events_table_name
        reports = built.reports
        started = time.perf_counter()
        reports.rebuild()
        rebuild_s = time.perf_counter() - started
        with _pg_connect() as conn:  # raw: a server-side cursor over the events, json.loads of each state
            started = time.perf_counter()
            with conn.cursor(name="scan") as cur:
                cur.itersize = 2000
                cur.execute(f'SELECT notification_id, originator_id, originator_version, topic, state '
                            f'FROM "{schema}"."{table}" ORDER BY notification_id')
                for row in cur:
                    json.loads(bytes(row[4]))
            raw_scan_s = time.perf_counter() - started
        reports.store.db.close()
        ledger.close()
    finally:
        with _pg_connect(autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    out = {"appends_per_s": round(rate, 1), "raw_insert_rows_per_s": round(raw_rate, 1),
           "append_ratio": round(rate / raw_rate, 3), f"appends_per_s_{PG_WRITERS}": concurrent["appends_per_s"],
           f"append_ratio_{PG_WRITERS}": round(concurrent["appends_per_s"] / raw_rate, 3),
           f"transactions_{PG_WRITERS}": concurrent["transactions"], "events": total, "rebuild_s": round(rebuild_s, 2),
           "raw_scan_s": round(raw_scan_s, 2), "rebuild_ratio": round(raw_scan_s / rebuild_s, 3)}
    say(f"8. PostgreSQL: appends {out['appends_per_s']}/s vs raw psycopg {out['raw_insert_rows_per_s']}/s → "
        f"{out['append_ratio']}×; {PG_WRITERS} writers {concurrent['appends_per_s']}/s → "
        f"{out[f'append_ratio_{PG_WRITERS}']}× ({concurrent['appends']:,} appends in {concurrent['transactions']} "
        f"transactions); rebuild of {total:,} events {rebuild_s:.2f} s vs raw server-side cursor "
        f"{raw_scan_s:.2f} s → {out['rebuild_ratio']}×")
    return out
