"""A city's summary rolls up its districts': one template's figures over every unit below, each with
its per-district part; a firm in two districts counts once; the city closes its year only after both
districts have closed theirs."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from projections.summary import figure_index
from scripts.cli import cli

CITY, A, B = "某市工商联", "甲区工商联", "乙区工商联"
SHARED = {"name": "共同科技有限公司"}


def training(org: str, day: str, title: str, people: int) -> dict:
    return {"kind": "training", "organisation": org, "occurred_on": day, "title": title, "participants": people}


def job_fair(org: str, day: str, firms: list) -> dict:
    return {"kind": "job_fair", "organisation": org, "occurred_on": day, "title": f"{org}招聘会", "mode": "offline",
            "posts": 100, "firms": firms}


@pytest.fixture
def city(tmp_path, monkeypatch, sqlite_only):
    monkeypatch.setenv("TAIZHANG_DATA", str(tmp_path / "store"))
    monkeypatch.setenv("TAIZHANG_SEAL_KEY", "test-seal-key-for-hierarchy")
    runner = CliRunner()

    def run(*args: str, code: int = 0):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    lines = [training(A, "2021-03-01", "甲区培训一", 30), training(A, "2021-05-01", "甲区培训二", 20),
             training(B, "2021-04-01", "乙区培训", 45), training(CITY, "2021-06-01", "全市培训", 100),
             job_fair(A, "2021-07-01", [SHARED, {"name": "甲区企业"}]), job_fair(B, "2021-07-02", [SHARED])]
    data = tmp_path / "lines.jsonl"
    data.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    run("import", str(data))  # logged before the tree exists: attached by name, nothing rewritten
    run("org", "add", CITY, "--level", "市", "--code", "4201")
    run("org", "add", A, "--level", "区县", "--code", "420101", "--parent", "4201")
    run("org", "add", B, "--level", "区县", "--code", "420102", "--parent", "4201")
    return run


def summary(run, org: str, *extra: str) -> dict:
    return json.loads(run("summary", "2021", "--organisation", org, "--format", "json", *extra).output)


def test_the_city_rolls_up_its_districts_with_a_breakdown(city):
    body = summary(city, CITY)
    figures = figure_index(body)
    assert figures["political.trainings"]["text"] == "4 场次"
    assert figures["political.training_participants"]["text"] == "195 名"
    parts = {p["organisation"]: p["text"] for p in figures["political.trainings"]["parts"]}
    assert parts == {"某市工商联（本级）": "1 场次", A: "2 场次", B: "1 场次"}
    assert figures["political.trainings"]["event_count"] == 4
    assert body["unit"]["level"] == "city" and set(body["unit"]["includes"]) == {CITY, A, B}
    assert "全市 2 家企业提供用工岗位" in next(s["text"] for s in body["sections"][0]["subsections"]
                                        if s["key"] == "business")


def test_a_firm_in_two_districts_counts_once_in_the_city(city):
    firms = figure_index(summary(city, CITY))["business.job_fair_firms"]
    assert firms["text"] == "2 家"
    assert {p["organisation"]: p["text"] for p in firms["parts"]} == {"某市工商联（本级）": "0 家", A: "2 家", B: "1 家"}


def test_a_district_summary_is_its_own_and_the_city_can_ask_for_its_own_work_only(city):
    assert figure_index(summary(city, A))["political.trainings"]["text"] == "2 场次"
    own = figure_index(summary(city, CITY, "--own-only"))
    assert own["political.trainings"]["text"] == "1 场次" and "parts" not in own["political.trainings"]


def test_the_city_closes_after_both_districts(city):
    refused = city("close", "2021", "--organisation", CITY, code=1).output
    assert A in refused and B in refused
    city("close", "2021", "--organisation", A)
    assert B in city("close", "2021", "--organisation", CITY, code=1).output
    city("close", "2021", "--organisation", B)
    sealed = json.loads(city("close", "2021", "--organisation", CITY).output)
    assert sealed["organisation"] == CITY


def test_an_admin_may_close_the_city_first_with_a_reason_the_seal_keeps(city, tmp_path):
    city("close", "2021", "--organisation", A)
    sealed = json.loads(city("close", "2021", "--organisation", CITY, "--override-reason", "乙区机构改革，材料未齐").output)
    assert sealed["override"] == f"下级单位未关闭（{B}）时关闭：乙区机构改革，材料未齐"
    assert summary(city, CITY)["seal"]["override"].endswith("乙区机构改革，材料未齐")
    assert summary(city, A)["seal"]["override"] == ""  # a close in order has no override


def test_a_districts_correction_after_its_close_shows_in_the_city_summary(city):
    city("close", "2021", "--organisation", A)
    before = summary(city, CITY)
    assert not before.get("adjustments")
    from service.bootstrap import bootstrap

    rows, _ = bootstrap().reports.list_records(organisation=A, text="甲区培训一")
    city("correct", rows[0]["id"], "--reason", "签到表复核", "--participants", "35")
    after = summary(city, CITY)
    adjustments = after["adjustments"]
    assert [(a["organisation"], a["title"], a["reason"]) for a in adjustments] == [(A, "甲区培训一", "签到表复核")]
    assert figure_index(after)["political.training_participants"]["text"] == "200 名"
    assert summary(city, B).get("adjustments") is None  # the sibling, still open, has none


def test_the_tree_refuses_a_unit_under_a_lower_level_and_lists_itself(city):
    assert "higher" in city("org", "add", "某镇商会", "--level", "市", "--code", "x1", "--parent", "420101",
                             code=1).output
    assert "taken" in city("org", "add", "重复", "--level", "区县", "--code", "420101", code=1).output
    tree = city("org", "list").output.splitlines()
    assert tree[0].startswith(CITY) and tree[1].startswith("  " + A)
    city("org", "move", "420102", "--parent", "", "--reason", "划出")
    assert figure_index(summary(city, CITY))["political.trainings"]["text"] == "3 场次"


def test_a_merged_district_takes_its_records_into_the_unit_it_joins(city):
    city("org", "merge", "420102", "--into", "420101", "--reason", "区划调整，乙区并入甲区")
    merged = figure_index(summary(city, A))
    assert merged["political.trainings"]["text"] == "3 场次"  # 甲区's two and 乙区's one
    assert merged["business.job_fair_firms"]["text"] == "2 家"  # the shared firm once
    city_parts = {p["organisation"] for p in figure_index(summary(city, CITY))["political.trainings"]["parts"]}
    assert city_parts == {"某市工商联（本级）", A}
    assert B not in city("org", "list").output
    assert "merged" in city("org", "rename", "420102", "丙区工商联", "--reason", "x", code=1).output


def test_records_under_another_spelling_are_attached_to_a_unit(city, tmp_path):
    line = training("乙区", "2021-08-01", "乙区简称录入的培训", 10)
    data = tmp_path / "short.jsonl"
    data.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    city("import", str(data))
    assert "in no unit" in city("org", "list").output and "乙区" in city("org", "list").output.splitlines()[-1]
    assert figure_index(summary(city, B))["political.trainings"]["text"] == "1 场次"
    city("org", "attach", "420102", "乙区", "--reason", "旧台账用简称")
    assert "in no unit" not in city("org", "list").output
    assert figure_index(summary(city, B))["political.trainings"]["text"] == "2 场次"
    assert figure_index(summary(city, CITY))["political.trainings"]["text"] == "5 场次"


def test_the_summary_page_shows_the_city_figures_with_each_districts_share(tmp_path):
    from api import create_app
    from tests.conftest import PASSWORDS, USERS, login

    app = create_app({"TESTING": True, "TAIZHANG_DATA": str(tmp_path / "web"), "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "test-secret"})
    services = app.extensions["taizhang"]
    for name, role in USERS.items():
        services.accounts.add(name, role, PASSWORDS[role])
    from service import org_units

    org_units.add_unit(services.ledger, CITY, "市", "4201", None, "t")
    org_units.add_unit(services.ledger, A, "区县", "420101", "4201", "t")
    org_units.add_unit(services.ledger, B, "区县", "420102", "4201", "t")
    for line in (training(A, "2021-03-01", "甲区培训", 30), training(B, "2021-04-01", "乙区培训", 45)):
        services.ledger.log(line, actor="t")
    client = app.test_client()
    login(client, "auditor")
    page = client.get(f"/summary/2021?organisation={CITY}").get_data(as_text=True)
    assert f"{A} 1 场次" in page and f"{B} 1 场次" in page
    from urllib.parse import quote

    drill = f"/summary/2021/figures/political.trainings?organisation={quote(A)}"
    assert drill in page  # from the city's figure down to the district's share, and on to its events
    district = client.get(drill).get_data(as_text=True)
    assert A in district and district.count('<tr class="event"') == 1  # 甲区's one training, not 乙区's
    assert f"organisation={CITY}" in page or "organisation=%E6" in page
