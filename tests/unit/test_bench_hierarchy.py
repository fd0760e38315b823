"""scripts/bench --hierarchy: the national tree has the shape asked for, and the quick run prints its
table and a JSON line whose national summary covers every unit (SQLite here; PostgreSQL in the bench)."""
from __future__ import annotations

import json
from collections import Counter

from scripts import bench_hierarchy


def test_the_full_tree_has_the_national_shape():
    units = bench_hierarchy.tree(**{k: bench_hierarchy.FULL[k] for k in ("provinces", "cities", "districts")})
    levels = Counter(u["level"] for u in units)
    assert levels == {"national": 1, "province": 31, "city": 330, "district": 2800}
    codes = {u["code"] for u in units}
    assert len(codes) == len(units) and all(u["parent"] in codes for u in units[1:])
    per_city = Counter(u["parent"] for u in units if u["level"] == "district")
    assert set(per_city.values()) == {8, 9}  # as even as whole numbers allow


def test_the_quick_run_rolls_the_nation_up(capsys, tmp_path):
    assert bench_hierarchy.main(["--quick", "--stores", "sqlite", "--data", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    sqlite = result["sqlite"]
    assert sqlite["national_includes"] == sqlite["units"] == 19
    assert sqlite["events"] >= sqlite["districts"] * result["shape"]["actions"]
    assert {"p50", "p99"} <= set(sqlite["city_summary_first_ms"]) and sqlite["cities_measured"] == 4
    assert {"p50", "p99"} <= set(sqlite["city_summary_after_event_ms"])
    assert any(line.split()[:2] == ["sqlite", f"{sqlite['events']:,}"] for line in lines)  # the table row

    from service.bootstrap import Settings, bootstrap

    services = bootstrap(Settings(data=tmp_path / "sqlite"))
    trainings = services.reports.list_records(kind="training", year=bench_hierarchy.YEAR, size=1)[1]
    assert sqlite["national_trainings"] == str(trainings)  # every district's trainings, in the nation's figure
    services.ledger.close()
