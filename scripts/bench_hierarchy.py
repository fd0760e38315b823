"""A national simulation of the organisation tree: roll-up summaries over thousands of units.

    scripts/bench --hierarchy                # 1 national, 31 provinces, 330 cities, 2,800 districts,
                                             # ~1,786 actions each (≈ 5M events), SQLite then PostgreSQL
    scripts/bench --hierarchy --quick        # a small tree: 2 provinces × 2 cities × 3 districts × 40
    scripts/bench --hierarchy --provinces 3 --cities 2 --districts 4 --actions 500 --stores sqlite

Steps, for each store (the embedded SQLite file, then the machine's PostgreSQL in a fresh schema):
 1. The tree as OrgUnit aggregates through the same use case as ``taizhang org add``
    (service/org_units.py): national → provinces → cities → districts.
 2. A year of actions for every district (the mix of scripts/bench.py's generator, firms from one
    national pool so that a firm works in several districts), saved 1,000 events per transaction
    straight into the ledger; 5% of them corrected.
 3. Catch-up of the read model (the fold of every event), timed.
 4. The national summary (every unit below it rolled up, with its per-province parts), a province's,
    and every city's (up to 60 of them) computed after catch-up: the time of each (the first summary
    of a unit makes its figure state from the rows); each city's read again (from the summary cache);
    then, per city, one more action logged in one of its districts, catch-up, and the city's summary
    (the figure state moved by the new event): p50/p99 of each.

Human-readable lines go to stdout as the run goes; the last line is one JSON object with every figure.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Iterator
from uuid import uuid4

if not __package__:  # run as a path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.catalogue import KINDS_BY_KEY  # noqa: E402
from scripts.bench import (  # noqa: E402
    ACTOR,
    BATCH,
    Generator,
    machine,
    ms,
    peak_rss_mb,
    percentile,
    say,
)
from service.bootstrap import Settings, bootstrap  # noqa: E402
from service.org_units import add_unit  # noqa: E402
from service.schemas import dump_action  # noqa: E402

YEAR = 2020
FULL = {"provinces": 31, "cities": 330, "districts": 2800, "actions": 1786}
QUICK = {"provinces": 2, "cities": 4, "districts": 12, "actions": 40}
CITY_SAMPLE = 60
CORRECT_SHARE = 0.05
PG_DEFAULTS = {"POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "5432", "POSTGRES_USER": "taizhang",
               "POSTGRES_PASSWORD": "taizhang", "POSTGRES_DBNAME": "taizhang_test"}


def spread(total: int, over: int) -> list[int]:
    """``total`` items over ``over`` parents as evenly as whole numbers allow (330 cities over 31
    provinces: 20 of 11 and 11 of 10)."""
    base, extra = divmod(total, over)
    return [base + (1 if i < extra else 0) for i in range(over)]


def tree(provinces: int, cities: int, districts: int) -> list[dict]:
    """Every unit, parents first: {code, name, level, parent}."""
    units = [{"code": "000000", "name": "全国工商联", "level": "national", "parent": None}]
    city_counts = spread(cities, provinces)
    district_counts = spread(districts, cities)
    c_index = 0
    for p in range(provinces):
        pcode = f"{11 + p:02d}0000"
        units.append({"code": pcode, "name": f"第{p + 1}省工商联", "level": "province", "parent": "000000"})
        for c in range(city_counts[p]):
            ccode = f"{11 + p:02d}{c + 1:02d}00"
            units.append({"code": ccode, "name": f"第{p + 1}省第{c + 1}市工商联", "level": "city", "parent": pcode})
            for d in range(district_counts[c_index]):
                units.append({"code": f"{11 + p:02d}{c + 1:02d}{d + 1:02d}",
                              "name": f"第{p + 1}省第{c + 1}市第{d + 1}区工商联", "level": "district", "parent": ccode})
            c_index += 1
    return units


@contextmanager
def store(name: str, folder: Path) -> Iterator[Settings]:
    """The settings of one store: a SQLite folder, or a PostgreSQL schema of its own (TEST_POSTGRES_*
    as scripts/test sets them), dropped afterwards."""
    data = folder / name
    if name == "sqlite":
        yield Settings(data=data)
        return
    import psycopg

    pg = {k: os.environ.get("TEST_" + k, v) for k, v in PG_DEFAULTS.items()}
    schema = f"bench_h_{uuid4().hex[:12]}"
    conn = psycopg.connect(host=pg["POSTGRES_HOST"], port=int(pg["POSTGRES_PORT"]), user=pg["POSTGRES_USER"],
                           password=pg["POSTGRES_PASSWORD"], dbname=pg["POSTGRES_DBNAME"], autocommit=True)
    conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield Settings(data=data, ledger_env={"PERSISTENCE_MODULE": "eventsourcing.postgres", **pg,
                                              "POSTGRES_SCHEMA": schema})
    finally:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


def fill(services: Any, units: list[dict], actions: int, gen: Generator) -> dict:
    """The tree, then ``actions`` actions per district (5% of them corrected), 1,000 events a save."""
    started = time.perf_counter()
    for u in units:
        add_unit(services.ledger, u["name"], u["level"], u["code"], u["parent"], ACTOR)
    tree_s = time.perf_counter() - started
    districts = [u for u in units if u["level"] == "district"]
    ledger = services.ledger
    pending: list = []
    saved = 0
    started = time.perf_counter()
    for i, district in enumerate(districts):
        for _ in range(actions):
            kind = gen.rng.choices(gen.kinds, gen.weights)[0]
            values = gen.values(kind)
            values["organisation"] = district["name"]
            values["occurred_on"] = values["occurred_on"].replace(year=YEAR)
            if values.get("ends_on") is not None:
                values["ends_on"] = values["occurred_on"] + (values["ends_on"] - values["occurred_on"]) \
                    if values["ends_on"] >= values["occurred_on"] else None
            agg = ledger._new_action(kind, f"h-{gen.serial}", values, ACTOR)
            if gen.rng.random() < CORRECT_SHARE:
                agg.correct(gen.changes(agg), "核对原始材料后更正", ACTOR)
            pending.append(agg)
            if len(pending) >= BATCH:
                ledger.save(*pending)
                saved += len(pending)
                pending = []
        if (i + 1) % max(1, len(districts) // 10) == 0:
            say(f"    {i + 1:,}/{len(districts):,} districts, {saved + len(pending):,} actions")
    if pending:
        ledger.save(*pending)
    events = ledger.recorder.max_notification_id() or 0
    return {"units": len(units), "districts": len(districts), "events": events, "tree_s": round(tree_s, 2),
            "fill_s": round(time.perf_counter() - started, 1)}


def _one_more(services: Any, units: list[dict], gen: Generator, district: str | None = None) -> None:
    """One more action (a talk: the training counts stay the ledger's) in a district."""
    talk = KINDS_BY_KEY["talk"]
    district = district or next(u["name"] for u in units if u["level"] == "district")
    values = {**gen.values(talk), "organisation": district, "occurred_on": date(YEAR, 6, 30), "ends_on": None}
    services.ledger.log(dump_action(talk, f"h-more-{gen.serial}", values), actor=ACTOR)


def timed(fn, *args, **kw) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - started, out


def measure(services: Any, units: list[dict], gen: Generator) -> dict:
    reports = services.reports
    catch_up_s, _ = timed(reports.catch_up)
    say(f"  catch-up of the read model: {catch_up_s:.1f} s")
    national = units[0]["name"]
    province = next(u for u in units if u["level"] == "province")["name"]
    national_s, body = timed(reports.summary, YEAR, national)
    trainings = next((f for s in body["sections"] for sub in s["subsections"] for f in sub["figures"]
                      if f["key"] == "political.trainings"), None)
    say(f"  national summary: {national_s:.2f} s ({len(body['unit']['includes']):,} units;"
        f" 全国 trainings {trainings['text'] if trainings else '—'})")
    province_s, _ = timed(reports.summary, YEAR, province)
    say(f"  a province's summary: {province_s:.2f} s")
    cities = [u["name"] for u in units if u["level"] == "city"][:CITY_SAMPLE]
    first = [timed(reports.summary, YEAR, c)[0] for c in cities]
    again = [timed(reports.summary, YEAR, c)[0] for c in cities]
    district_of = {}
    for u in units:
        if u["level"] == "district":
            district_of.setdefault(u["parent"], u["name"])
    code_of = {u["name"]: u["code"] for u in units}
    after = []
    for c in cities:
        _one_more(services, units, gen, district_of[code_of[c]])
        started = time.perf_counter()
        reports.catch_up()
        reports.summary(YEAR, c)
        after.append(time.perf_counter() - started)
    say(f"  city summaries after catch-up ({len(cities)}): first p50 {ms(percentile(first, 50))} ms, "
        f"p99 {ms(percentile(first, 99))} ms; read again p50 {ms(percentile(again, 50))} ms, "
        f"p99 {ms(percentile(again, 99))} ms; after one new event + catch-up p50 {ms(percentile(after, 50))} ms, "
        f"p99 {ms(percentile(after, 99))} ms")
    return {"catch_up_s": round(catch_up_s, 2), "national_summary_s": round(national_s, 3),
            "province_summary_s": round(province_s, 3),
            "city_summary_first_ms": {"p50": ms(percentile(first, 50)), "p99": ms(percentile(first, 99))},
            "city_summary_read_ms": {"p50": ms(percentile(again, 50)), "p99": ms(percentile(again, 99))},
            "city_summary_after_event_ms": {"p50": ms(percentile(after, 50)), "p99": ms(percentile(after, 99))},
            "cities_measured": len(cities), "national_includes": len(body["unit"]["includes"]),
            "national_trainings": trainings["value"] if trainings else None}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/bench --hierarchy", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a small tree (the smoke run)")
    for name in FULL:
        p.add_argument(f"--{name}", type=int, default=None)
    p.add_argument("--stores", default="sqlite,postgres", help="sqlite, postgres or both (comma-separated)")
    p.add_argument("--data", default=None, help="a folder for the SQLite files (default: a temporary one)")
    p.add_argument("--reuse", action="store_true",
                   help="SQLite: measure again on the ledger a former run left in --data (no refill); one new "
                        "event first, so nothing is answered from the summary cache")
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    shape = dict(QUICK if args.quick else FULL)
    for name in FULL:
        if getattr(args, name) is not None:
            shape[name] = getattr(args, name)
    units = tree(shape["provinces"], shape["cities"], shape["districts"])
    folder = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="taizhang-bench-h-"))
    results: dict[str, Any] = {"machine": machine(), "shape": shape}
    say(f"taizhang hierarchy bench: {shape['provinces']} provinces, {shape['cities']} cities, "
        f"{shape['districts']:,} districts × {shape['actions']:,} actions (≈ {shape['districts'] * shape['actions']:,} "
        "events)")
    for name in [s.strip() for s in args.stores.split(",") if s.strip()]:
        with store(name, folder) as settings:
            say(f"[{name}]")
            services = bootstrap(settings)
            try:
                gen = Generator(seed=2020)
                if args.reuse and name == "sqlite" and (services.ledger.recorder.max_notification_id() or 0):
                    filled = {"units": len(units), "districts": shape["districts"], "reused": True}
                    gen.serial = 10 ** 9  # new keys, never a former run's
                    _one_more(services, units, gen)
                    filled["events"] = services.ledger.recorder.max_notification_id()
                else:
                    filled = fill(services, units, shape["actions"], gen)
                if not filled.get("reused"):
                    say(f"  {filled['events']:,} events in {filled['fill_s']} s (tree {filled['tree_s']} s)")
                results[name] = {**filled, **measure(services, units, gen)}
            finally:
                services.ledger.close()
    results["peak_rss_mb"] = peak_rss_mb()
    if not args.data:
        shutil.rmtree(folder, ignore_errors=True)
    table(results)
    return results


def table(results: dict) -> None:
    rows = [("store", "events", "catch-up s", "national s", "province s", "city p50 ms", "city p99 ms",
             "city re-read p99 ms", "city after event p50/p99 ms")]
    for store in ("sqlite", "postgres"):
        r = results.get(store)
        if r:
            rows.append((store, f"{r['events']:,}", str(r["catch_up_s"]), str(r["national_summary_s"]),
                         str(r["province_summary_s"]), str(r["city_summary_first_ms"]["p50"]),
                         str(r["city_summary_first_ms"]["p99"]), str(r["city_summary_read_ms"]["p99"]),
                         f"{r['city_summary_after_event_ms']['p50']}/{r['city_summary_after_event_ms']['p99']}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        say("  ".join(cell.rjust(w) for cell, w in zip(row, widths)))


def main(argv: list[str] | None = None) -> int:
    results = run(parse_args(argv))
    print(json.dumps(results, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
