"""Benchmark of the ledger's read side: rebuild of the views, and the year-end summary as the log grows.

(One file of ~500 lines on purpose: the generator, the raw-sqlite3 baselines and the measurements
they are compared with must stay side by side, so that a reader sees both halves of every ratio.
The write side and verify are in scripts/bench_write.py.)

    scripts/bench                      # 1,000,000 events; summary timings at 10k, 100k and 1M
    scripts/bench --quick              # a smoke run: 2,000 events, sizes 500, 1000, 2000
    scripts/bench --events 100000 --sizes 10000,100000 --data /tmp/bench

Steps:
 1. Generate events straight into a Ledger's SQLite store: Action aggregates built by
    ``Ledger._new_action`` from valid values (a mix of kinds, firms from a pool of 2,000 synthetic
    firms with valid 统一社会信用代码, dates mostly in 2020), saved 1,000 events per transaction;
    about 5% of the events are corrections and 1% retractions of records already saved.
 2. Rebuild: ``Reports(...).rebuild()`` from zero into a fresh views.sqlite, in a fresh process, against
    a raw scan of the same file (plain sqlite3, ``json.loads`` of every state). Goal: rebuild speed
    ≥ 0.5× the raw scan (issue 9; it was 0.8× before).
 3. Summary at each size: catch up, then ``Reports.summary(2020)`` 200 times (the first call computes
    and caches it, the others read) and 50 cycles of "log one more action + catch up + summary".
    Goal: summary read p99 ≤ 20 ms, flat.

 4-8. In scripts/bench_write.py: HTTP POSTs from 16 clients, verify beside a raw scan + the same chain,
    single-writer appends and `import` beside raw sqlite3 inserts, and on PostgreSQL (127.0.0.1:5432, the
    tests' database) appends and a rebuild beside raw psycopg.

Then one table of issue 9's goals and figures. Human-readable lines go to stdout as the run goes; the last line is one JSON object with every figure.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

if not __package__:  # run as a path (python scripts/bench.py): make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.catalogue import KINDS_BY_KEY, Kind  # noqa: E402
from domain.uscc import make_uscc  # noqa: E402
from projections import figure_state  # noqa: E402
from projections.reports import Reports  # noqa: E402
from scripts.demo import ORG  # noqa: E402  (the bench's records are the demo office's)
from service.bootstrap import Settings, bootstrap  # noqa: E402
from service.ledger import Ledger  # noqa: E402
from service.schemas import dump_action, load_action  # noqa: E402

OTHER_ORGS = ("江汉区工商联", "硚口区工商联")
ACTOR = "bench"
BATCH = 1000
FIRM_POOL = 2000
CORRECT_SHARE = 0.05
RETRACT_SHARE = 0.01
SUMMARY_CALLS = 200
CYCLES = 50
CYCLE_BUDGET_S = 120.0  # the cycles stop early (after at least 3) once they have taken this long
QUICK_EVENTS = 2000
QUICK_SIZES = (500, 1000, 2000)
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)

# The kinds of the mix and their weights: the everyday work of a district federation. Meta kinds
# (problem, target, theme_title) and epidemic_care (one figure per record) stay out: a ledger does
# not hold thousands of them.
KIND_WEIGHTS = {
    "job_fair": 20, "training": 15, "donation": 15, "talk": 12, "matchmaking": 10, "tax_guidance": 5,
    "legal_service": 5, "symposium": 4, "survey": 4, "deal": 3, "policy_booklet": 2, "livestream": 2,
    "work": 2, "litigation_help": 1, "listing_support": 1, "capital_conference": 1, "poverty_relief": 1,
    "cadre_deployed": 1, "award": 1,
}


def say(*parts: Any) -> None:
    print(*parts, flush=True)  # progress shows as it goes, also when stdout is a file or a pipe


def firm_pool() -> list[dict]:
    return [{"name": f"武汉临空港测试{i:04d}有限公司", "uscc": make_uscc(500_000 + i)} for i in range(FIRM_POOL)]


class Generator:
    """Deterministic valid values for any action kind, and corrections of saved records."""

    def __init__(self, seed: int = 2020):
        self.rng = random.Random(seed)
        self.firms = firm_pool()
        self.kinds = [KINDS_BY_KEY[k] for k in KIND_WEIGHTS]
        self.weights = list(KIND_WEIGHTS.values())
        self.serial = 0

    def day(self) -> date:
        r = self.rng.random()
        year = 2020 if r < 0.8 else (2019 if r < 0.9 else 2021)
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(365))

    def measure(self, f) -> dict:
        rng = self.rng
        approx = "余" if rng.random() < 0.1 else None
        if f.type == "money":
            return {"value": Decimal(rng.randrange(1_000, 5_000_000)).quantize(Decimal("0.01")), "approx": approx}
        return {"value": rng.randrange(1, 500), "approx": approx}

    def values(self, kind: Kind) -> dict:
        rng = self.rng
        self.serial += 1
        n = self.serial
        on = self.day()
        org = ORG if rng.random() < 0.9 else rng.choice(OTHER_ORGS)
        if kind.key == "job_fair":
            firms = rng.sample(self.firms, rng.randint(1, 5))
        else:
            firms = [rng.choice(self.firms)] if rng.random() < 0.3 else []
        values: dict[str, Any] = {
            "organisation": org, "occurred_on": on,
            "ends_on": on + timedelta(days=1) if rng.random() < 0.1 else None,
            "title": f"{kind.narrative_zh or kind.zh}第{n}期", "notes": "" if rng.random() < 0.7 else f"备注{n}",
            "theme": kind.theme, "firms": [dict(f) for f in firms],
        }
        for f in kind.fields:
            if not f.required and rng.random() < 0.2:
                continue
            if f.is_measure:
                values[f.name] = self.measure(f)
            elif f.type == "choice":
                values[f.name] = rng.choice(list(f.choices))
            elif f.type == "text":
                values[f.name] = f"{f.zh}{n % 97}"
            elif f.type == "measures":
                values[f.name] = [{"name": "项目", "value": str(rng.randint(1, 9)), "unit": "个", "approx": None}]
            else:
                raise AssertionError(f"no generator for {kind.key}.{f.name} ({f.type})")
        return values

    def new(self, ledger: Ledger):
        kind = self.rng.choices(self.kinds, self.weights)[0]
        values = self.values(kind)
        return ledger._new_action(kind, f"bench-{self.serial}", values, ACTOR)

    def payload(self) -> dict:
        """One action as the API / import takes it (for the log-one-more cycles)."""
        kind = self.rng.choices(self.kinds, self.weights)[0]
        values = self.values(kind)
        return dump_action(kind, f"bench-cycle-{self.serial}", values)

    def changes(self, agg) -> dict:
        rng = self.rng
        self.serial += 1
        r = rng.random()
        if r < 0.4:
            return {"title": f"{agg.title}（更正{self.serial}）"}
        if r < 0.6:  # the date moves, and a multi-day action's end date with it
            shift = timedelta(days=rng.choice((-2, -1, 1, 2)))
            moved = {"occurred_on": agg.occurred_on + shift}
            if agg.ends_on is not None:
                moved["ends_on"] = agg.ends_on + shift
            return moved
        measures = [f for f in agg.kind.fields if f.is_measure]
        if r < 0.9 and measures:
            f = rng.choice(measures)
            old = agg.facts.get(f.name)
            new = self.measure(f)
            if old is not None and old["value"] == new["value"]:
                new["value"] += 1
            return {f.name: new}
        return {"notes": f"更正备注{self.serial}"}


def check_generator() -> None:
    """Every kind's generated values survive the schemas unchanged: they are what load_action gives."""
    gen = Generator(seed=1)
    for kind in gen.kinds:
        for _ in range(5):
            values = gen.values(kind)
            _kind, _key, loaded = load_action(dump_action(kind, "check", values))
            got = {k: v for k, v in loaded.items() if v is not None}
            want = {k: v for k, v in values.items() if v is not None}
            if got != want:
                raise AssertionError(f"generated values for {kind.key} are not canonical:\n{want}\n{got}")


class Store:
    """A ledger being filled: new records, and corrections and retractions of saved ones."""

    def __init__(self, ledger: Ledger, gen: Generator, pool_size: int = 20_000):
        self.ledger = ledger
        self.gen = gen
        self.pool: list = []  # saved, live aggregates that may be corrected or retracted
        self.pool_size = pool_size
        self.counts = {"created": 0, "corrected": 0, "retracted": 0, "logged_by_cycles": 0}
        self.seconds = 0.0

    @property
    def events(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0

    def grow(self, upto: int, say=say) -> None:
        rng = self.gen.rng
        started = time.perf_counter()
        todo = upto - self.events
        while todo > 0:
            n = min(BATCH, todo)
            new, touched = [], {}
            for _ in range(n):
                r = rng.random()
                if self.pool and r < CORRECT_SHARE:
                    agg = rng.choice(self.pool)
                    agg.correct(self.gen.changes(agg), "核对原始材料后更正", ACTOR)
                    touched[agg.id] = agg
                    self.counts["corrected"] += 1
                elif self.pool and r < CORRECT_SHARE + RETRACT_SHARE:
                    i = rng.randrange(len(self.pool))
                    agg = self.pool[i]
                    self.pool[i] = self.pool[-1]
                    self.pool.pop()
                    agg.retract("重复录入", ACTOR)
                    touched[agg.id] = agg
                    self.counts["retracted"] += 1
                else:
                    new.append(self.gen.new(self.ledger))
                    self.counts["created"] += 1
            self.ledger.save(*new, *touched.values())
            for agg in new:
                if len(self.pool) < self.pool_size:
                    self.pool.append(agg)
                else:
                    self.pool[rng.randrange(self.pool_size)] = agg
            todo -= n
        self.seconds += time.perf_counter() - started
        say(f"  store at {self.events:,} events ({time.perf_counter() - started:.1f} s for this step)")


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def timed(fn, *args, **kw) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def summary_figures(store: Store, reports: Reports, say=say, cycle_budget: float = CYCLE_BUDGET_S) -> dict:
    """Summary reads after catch-up, and the log + catch-up + summary cycle, at the store's size."""
    ledger = store.ledger
    catch_up_s, _ = timed(reports.catch_up)
    size = store.events
    first_s, body = timed(reports.summary, 2020)
    reads = [timed(reports.summary, 2020)[0] for _ in range(SUMMARY_CALLS - 1)]
    # Where a read goes: its parts, each timed on its own (nothing new to fold).
    idle_catch_up = [timed(reports.catch_up)[0] for _ in range(20)]
    orgs = [timed(reports.organisations)[0] for _ in range(20)]
    explicit = [timed(reports.summary, 2020, ORG)[0] for _ in range(20)]
    cycle, cycle_log, cycle_catch_up, cycle_summary = [], [], [], []
    cycles_started = time.perf_counter()
    for _ in range(CYCLES):
        if len(cycle) >= 3 and time.perf_counter() - cycles_started > cycle_budget:
            break
        payload = store.gen.payload()
        t0 = time.perf_counter()
        ledger.log(payload, actor=ACTOR)
        t1 = time.perf_counter()
        reports.catch_up()
        t2 = time.perf_counter()
        reports.summary(2020)
        t3 = time.perf_counter()
        cycle.append(t3 - t0)
        cycle_log.append(t1 - t0)
        cycle_catch_up.append(t2 - t1)
        cycle_summary.append(t3 - t2)
    store.counts["logged_by_cycles"] += len(cycle)
    body_bytes = len(json.dumps(body, ensure_ascii=False).encode())
    out = {
        "events": size,
        "records_2020": reports.store.db.execute(
            "SELECT COUNT(*) FROM records WHERE organisation = ? AND year = 2020 AND retracted = 0", [ORG]).fetchone()[0],
        "catch_up_ms": ms(catch_up_s),
        "summary_first_ms": ms(first_s),
        "summary_read_p50_ms": ms(percentile(reads, 50)),
        "summary_read_p99_ms": ms(percentile(reads, 99)),
        "summary_read_max_ms": ms(max(reads)),
        "summary_body_bytes": body_bytes,
        "read_parts_p50_ms": {
            "idle_catch_up": ms(percentile(idle_catch_up, 50)),
            "organisations_query": ms(percentile(orgs, 50)),
            "summary_with_organisation_given": ms(percentile(explicit, 50)),
        },
        "cycles": len(cycle),
        "cycle_p50_ms": ms(percentile(cycle, 50)),
        "cycle_p99_ms": ms(percentile(cycle, 99)),
        "cycle_parts_p50_ms": {"log": ms(percentile(cycle_log, 50)), "catch_up": ms(percentile(cycle_catch_up, 50)),
                               "summary": ms(percentile(cycle_summary, 50))},
        "summary_after_event_p50_ms": ms(percentile(cycle_summary, 50)),  # issue 9: the summary after one new event
        "summary_after_event_p99_ms": ms(percentile(cycle_summary, 99)),
    }
    say(f"  summary(2020) at {size:,} events: first (computed) {out['summary_first_ms']:.1f} ms, "
        f"reads p50 {out['summary_read_p50_ms']:.2f} ms, p99 {out['summary_read_p99_ms']:.2f} ms "
        f"(goal: summary read p99 ≤ 20 ms, flat); body {body_bytes:,} bytes")
    say(f"    a read's parts (p50): idle catch-up {out['read_parts_p50_ms']['idle_catch_up']:.2f} ms, "
        f"organisations query {out['read_parts_p50_ms']['organisations_query']:.2f} ms, "
        f"summary with the organisation given {out['read_parts_p50_ms']['summary_with_organisation_given']:.2f} ms")
    say(f"  log one more + catch up + summary ({len(cycle)} cycles): p50 {out['cycle_p50_ms']:.1f} ms, p99 {out['cycle_p99_ms']:.1f} ms "
        f"(log {out['cycle_parts_p50_ms']['log']:.1f}, catch-up {out['cycle_parts_p50_ms']['catch_up']:.1f}, "
        f"summary {out['cycle_parts_p50_ms']['summary']:.1f} ms at p50)")
    return out


# --- the rebuild, measured in a fresh process ---------------------------------------------------

def peak_rss_mb() -> float:
    """Peak resident memory of this process image, in MB: VmHWM where Linux gives it (ru_maxrss would
    also count the parent a child was forked from), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 1024), 1)


def raw_scan(db_file: str, table: str = "stored_events") -> tuple[float, int]:
    t = time.perf_counter()
    conn = sqlite3.connect(db_file)
    try:
        cur = conn.execute(f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} ORDER BY rowid")
        n = 0
        loads = json.loads
        while True:
            rows = cur.fetchmany(2000)
            if not rows:
                break
            for row in rows:
                loads(row[4])
            n += len(rows)
    finally:
        conn.close()
    return time.perf_counter() - t, n


def measure_rebuild(data: Path) -> dict:
    """Raw scan, rebuild into a fresh views file, raw scan again; counts checked against the store."""
    folder = data / "rebuild"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    built = bootstrap(Settings(data=data, views=folder))
    ledger = built.ledger
    try:
        db_file = ledger.recorder.datastore.pool.db_name
        table = ledger.recorder.events_table_name
        stored = ledger.recorder.max_notification_id() or 0
        rss_before = peak_rss_mb()
        base1, scanned = raw_scan(db_file, table)
        reports = built.reports
        gc.collect()
        started = time.perf_counter()
        position = reports.rebuild()
        rebuild_s = time.perf_counter() - started
        rss_after = peak_rss_mb()
        # A rebuild over live views makes again the figure states they keep (the office's summaries read
        # during the run): timed apart, on the rebuilt file, from the states of the run's own views file.
        kept = ([], [])
        if (data / "views.sqlite").exists():
            live = sqlite3.connect(f"file:{data / 'views.sqlite'}?mode=ro", uri=True)
            try:
                kept = figure_state.kept(live)
            except sqlite3.OperationalError:  # a views file without figure states
                pass
            finally:
                live.close()
        started = time.perf_counter()
        states = figure_state.remake(reports.store.db, *kept)
        states_s = time.perf_counter() - started
        base2, _ = raw_scan(db_file, table)
        db = reports.store.db
        view_events = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        view_records = db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
        retracted = db.execute("SELECT COUNT(*) FROM records WHERE retracted = 1").fetchone()[0]
        reports.store.db.close()
    finally:
        ledger.close()
    baseline = min(base1, base2)
    return {
        "events": stored, "scanned": scanned, "position": position, "view_events": view_events,
        "view_records": view_records, "view_retracted": retracted,
        "rebuild_s": round(rebuild_s, 3), "rebuild_events_per_s": round(stored / rebuild_s) if rebuild_s else None,
        "raw_scan_s": round(baseline, 3), "raw_scan_runs_s": [round(base1, 3), round(base2, 3)],
        "raw_scan_events_per_s": round(scanned / baseline) if baseline else None,
        "ratio": round(baseline / rebuild_s, 4) if rebuild_s else None,
        "states": states, "states_s": round(states_s, 3),
        "ratio_with_states": round(baseline / (rebuild_s + states_s), 4) if rebuild_s else None,
        "peak_rss_mb_before_rebuild": rss_before,
        "peak_rss_mb": rss_after,
        "views_file_mb": round((folder / "views.sqlite").stat().st_size / 2**20, 1),
        "ledger_file_mb": round(Path(db_file).stat().st_size / 2**20, 1),
    }


def rebuild_in_child(data: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "scripts.bench", "--measure-rebuild", str(data)],
                         cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"the rebuild measurement failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the run -----------------------------------------------------------------------------------

def machine() -> dict:
    return {"platform": platform.platform(), "machine": platform.machine(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
            "implementation": platform.python_implementation(), "sqlite": sqlite3.sqlite_version}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=None, help="events in the store for the rebuild (default 1000000)")
    p.add_argument("--sizes", default=None, help="store sizes for the summary timings (default 10000,100000,1000000)")
    p.add_argument("--quick", action="store_true", help=f"a smoke run: {QUICK_EVENTS} events, sizes "
                   + ",".join(map(str, QUICK_SIZES)))
    p.add_argument("--data", default=None, help="data folder (default: a temporary folder, removed afterwards)")
    p.add_argument("--cycle-budget", type=float, default=CYCLE_BUDGET_S,
                   help=f"seconds after which the {CYCLES} log+catch-up+summary cycles stop early (at least 3 run; "
                        f"default {CYCLE_BUDGET_S:.0f})")
    p.add_argument("--http-seconds", type=float, default=None,
                   help="seconds of 16 concurrent HTTP clients posting actions (default 20; 0 skips)")
    p.add_argument("--verify-events", type=int, default=None,
                   help="events in the store that verify checks (default 100000; 0 skips)")
    p.add_argument("--append-seconds", type=float, default=None,
                   help="seconds of single-writer appends, SQLite and PostgreSQL each (default 5; 0 skips)")
    p.add_argument("--import-lines", type=int, default=None, help="lines that `import` stores (default 100000; 0 skips)")
    p.add_argument("--pg-events", type=int, default=None,
                   help="events in the PostgreSQL store that is rebuilt (default 100000; 0 skips PostgreSQL)")
    p.add_argument("--measure-rebuild", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.append_seconds is None:
        args.append_seconds = 1.0 if args.quick else 5.0
    if args.import_lines is None:
        args.import_lines = 1000 if args.quick else 100_000
    if args.pg_events is None:
        args.pg_events = 1000 if args.quick else 100_000
    if args.http_seconds is None:
        args.http_seconds = 3.0 if args.quick else 20.0
    if args.verify_events is None:
        args.verify_events = 2000 if args.quick else 100_000
    if args.events is None:
        args.events = QUICK_EVENTS if args.quick else 1_000_000
    if args.sizes is None:
        sizes = QUICK_SIZES if args.quick else DEFAULT_SIZES
    else:
        sizes = tuple(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    args.sizes = sorted({s for s in sizes if s <= args.events})
    return args


def run(args: argparse.Namespace) -> dict:
    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="taizhang-bench-"))
    data.mkdir(parents=True, exist_ok=True)
    if any(data.iterdir()):
        raise SystemExit(f"{data} is not empty: the bench needs an empty data folder")
    say(f"taizhang bench: {args.events:,} events, summary at sizes {', '.join(f'{s:,}' for s in args.sizes)}; "
        f"data in {data}")
    check_generator()
    built = bootstrap(Settings(data=data))
    ledger, reports = built.ledger, built.reports
    store = Store(ledger, Generator())
    results: dict[str, Any] = {"goals": {"rebuild_vs_raw_scan": 0.5, "summary_read_p99_ms": 20},
                               "machine": machine(), "summary": []}
    try:
        say("1. generating events")
        for size in args.sizes:
            store.grow(size, say)
            say(f"3. summary at {store.events:,} events")
            results["summary"].append(summary_figures(store, reports, say, args.cycle_budget))
        say("1. generating events")
        store.grow(args.events, say)
        total = store.events
        results["generation"] = {"events": total, **store.counts, "seconds": round(store.seconds, 2),
                                 "events_per_s": round(total / store.seconds) if store.seconds else None}
        say(f"  generated {total:,} events in {store.seconds:.1f} s ({results['generation']['events_per_s']:,}/s; "
            f"created {store.counts['created']:,}, corrected {store.counts['corrected']:,}, "
            f"retracted {store.counts['retracted']:,}, logged by cycles {store.counts['logged_by_cycles']:,}) "
            "— not a goal")
    finally:
        reports.store.db.close()
        ledger.close()

    say(f"2. rebuild of {total:,} events (a fresh process, a fresh views file)")
    rb = rebuild_in_child(data)
    results["rebuild"] = rb
    say(f"  raw scan (sqlite3 + json.loads): {rb['raw_scan_s']:.2f} s, {rb['raw_scan_events_per_s']:,} events/s")
    say(f"  Reports.rebuild():               {rb['rebuild_s']:.2f} s, {rb['rebuild_events_per_s']:,} events/s")
    say(f"  rebuild speed vs raw scan (goal ≥ 0.5×): {rb['ratio']:.3f}×")
    say(f"  + the live views' {rb['states']} figure state(s) made again before the swap: {rb['states_s']:.2f} s "
        f"→ {rb['ratio_with_states']:.3f}× with them")
    say(f"  view: {rb['view_events']:,} events, {rb['view_records']:,} records ({rb['view_retracted']:,} retracted); "
        f"peak RSS {rb['peak_rss_mb']:.0f} MB (info); views file {rb['views_file_mb']} MB, "
        f"ledger file {rb['ledger_file_mb']} MB")
    if not args.data:
        shutil.rmtree(data, ignore_errors=True)
    results["peak_rss_mb_generation"] = peak_rss_mb()
    from scripts.bench_write import (
        append_bench,
        http_bench,
        import_bench,
        pg_bench,
        verify_bench,
    )

    if args.http_seconds:
        results["http"] = http_bench(args.http_seconds, say=say)
    if args.verify_events:
        results["verify"] = verify_bench(args.verify_events, say=say)
    if args.append_seconds:
        results["append"] = append_bench(args.append_seconds, say=say)
    if args.import_lines:
        results["import"] = import_bench(args.import_lines, say=say)
    if args.pg_events:
        results["postgres"] = pg_bench(args.append_seconds or 1.0, args.pg_events, say=say)
    results.update(headline(results))
    say_table(results)
    return results


# The figures of the goals, at the top level of the final JSON (None where not measured).
GOALS = (("rebuild_ratio", "≥ 0.5× raw scan + json.loads"),
         ("rebuild_ratio_with_states", "info: and the kept figure states"), ("rebuild_rss_mb", "< 300 MB at 1M"),
         ("summary_after_event_ms", "summary after an event, p50/p99 by size"),
         ("summary_body_bytes", "info"), ("post_p99_ms_16", "≤ 30 ms"), ("post_per_s_16", "info"),
         ("append_ratio", "≥ 0.6× raw per-row insert"), ("import_ratio", "≥ 0.5× raw one-transaction insert"),
         ("verify_ratio", "≥ 0.6× raw scan + SHA-256 chain"),
         ("verify_ratio_no_icheck", "info: the same less integrity_check"),
         ("pg_append_ratio", "≥ 0.6× raw psycopg per row"),
         ("pg_appends_per_s_16", "info (16 writers; raw psycopg per row beside)"),
         ("pg_rebuild_ratio", "≥ 0.5× raw server-side cursor"))


def headline(results: dict) -> dict:
    def get(*path):
        value = results
        for part in path:
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        return value

    summary = results.get("summary") or []
    return {
        "rebuild_ratio": get("rebuild", "ratio"), "rebuild_rss_mb": get("rebuild", "peak_rss_mb"),
        "rebuild_ratio_with_states": get("rebuild", "ratio_with_states"),
        "summary_after_event_ms": {str(row["events"]): {"p50": row["cycle_p50_ms"], "p99": row["cycle_p99_ms"]}
                                   for row in summary},
        "summary_body_bytes": summary[-1]["summary_body_bytes"] if summary else None,
        "post_p99_ms_16": get("http", "p99_ms"), "post_per_s_16": get("http", "throughput_per_s"),
        "append_ratio": get("append", "ratio"), "import_ratio": get("import", "ratio"),
        "verify_ratio": get("verify", "verify_vs_raw_scan"),
        "verify_ratio_no_icheck": get("verify", "verify_vs_raw_scan_without_integrity_check"),
        "pg_append_ratio": get("postgres", "append_ratio"), "pg_rebuild_ratio": get("postgres", "rebuild_ratio"),
        "pg_appends_per_s_16": get("postgres", "appends_per_s_16"),
        "pg_append_ratio_16": get("postgres", "append_ratio_16"),
    }


def say_table(results: dict) -> None:
    say("")
    say(f"{'figure':<24} {'goal':<38} measured")
    for key, goal in GOALS:
        value = results.get(key)
        if isinstance(value, dict):
            value = ", ".join(f"{size}: {v['p50']}/{v['p99']}" for size, v in value.items())
        say(f"{key:<24} {goal:<38} {value}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.measure_rebuild:
        print(json.dumps(measure_rebuild(Path(args.measure_rebuild))))
        return 0
    results = run(args)
    print(json.dumps(results, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
