"""Acceptance of templates as data: a county federation unlike the seed's district one builds its own
summary through ``taizhang template import`` and ``taizhang import`` only — no code.

Its template (tests/data/county-template.yaml) declares kinds of its own (招商引资 with named measures,
走访), extends built-in kinds (光彩事业 donations with beneficiaries, county-level awards, chambers by
type), and figures of every shape: count, sum, named-measure sum, distinct firms, distinct values,
a figure over several kinds, a change on last year, a share, filters on any field, an approximate
sum and "据不完全统计". Each figure is checked in the JSON and in the text.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from projections.summary import figure_index
from scripts.cli import cli

HERE = Path(__file__).resolve().parent.parent / "data"
ORG = "某县工商联"
FIRM_A = {"name": "甲科技有限公司"}
FIRM_B = {"name": "乙食品有限公司"}
FIRM_C = {"name": "丙建材有限公司"}


def line(kind: str, day: str, title: str, **fields) -> dict:
    return {"kind": kind, "organisation": ORG, "occurred_on": day, "title": title, **fields}


LEDGER = [
    line("visit", "2020-06-01", "2020 年走访", firms=[FIRM_A]),
    line("investment", "2021-03-02", "新能源电池项目签约", sector="industry", measures=["总投资 3.2 亿元"]),
    line("investment", "2021-05-18", "冷链物流园项目签约", sector="service",
         measures=[{"name": "总投资", "value": "15200", "unit": "万元"}, {"name": "用地", "value": "120", "unit": "亩"}]),
    line("visit", "2021-04-01", "春季走访", firms=[FIRM_A, FIRM_B], issues="20 多"),
    line("visit", "2021-06-01", "夏季走访", firms=[FIRM_B, FIRM_C], issues=12),
    line("visit", "2021-09-01", "秋季走访", firms=[FIRM_A]),
    line("symposium", "2021-04-20", "民营企业座谈会", firms_attending=18),
    line("talk", "2021-05-10", "优化营商环境报告会", participants=200),
    line("training", "2021-07-07", "新生代企业家培训班", participants=60),
    line("training", "2021-08-08", "财税知识培训班", participants="50 左右"),
    line("donation", "2021-01-20", "光彩助学捐赠", form="money", amount="300000", cause="guangcai",
         donor_type="firm", donor="甲科技有限公司", beneficiaries=150),
    line("donation", "2021-09-10", "金秋助学", form="money", amount="200000", cause="education",
         donor_type="chamber", donor="县建材商会", beneficiaries="近 100"),
    line("donation", "2021-10-01", "光彩事业慈善捐赠", form="goods", amount="500000", cause="guangcai",
         donor_type="firm", donor="甲科技有限公司"),
    line("award", "2021-12-01", "县级优秀民营企业", level="county", honour="优秀民营企业", category="other",
         recipient_type="firm", firms=[FIRM_A]),
    line("award", "2021-12-02", "市级先进商会", level="municipal", honour="先进商会", category="four_good",
         recipient_type="chamber"),
    line("chamber_founded", "2021-03-01", "县电商行业商会成立", chamber="县电商行业商会", chamber_type="industry"),
    line("chamber_founded", "2021-06-01", "县建材行业商会成立", chamber="县建材行业商会", chamber_type="industry"),
    line("chamber_founded", "2021-08-01", "县温州商会成立", chamber="县温州商会", chamber_type="out_of_town"),
    line("problem", "2021-12-20", "服务企业的精准度还不够高"),
]

EXPECTED = {  # figure key → (text in the JSON, phrase that must be in the section's text, or None: not written)
    "attract.projects": ("2 个", "协助引进招商引资项目 2 个"),
    "attract.total_investment": ("4.72 亿元", "总投资 4.72 亿元"),
    "attract.industry_projects": ("1 个", "其中工业项目 1 个"),
    "serve.visits": ("3 次", "开展“千企走访”3 次"),
    "serve.firms_visited": ("3 家", "走访全县企业 3 家"),
    "serve.visits_change": ("2 次", "比上年增加 2 次"),
    "serve.issues": ("32 多个", "据不完全统计，收集企业反映问题 32 多个"),
    "serve.meetings": ("4 场次", "举办座谈会、报告会、培训班 4 场次"),
    "guangcai.amount": ("80 万元", "组织民营企业参与光彩事业，捐款捐物 80 万元"),
    "guangcai.beneficiaries": ("近 250 人", "惠及群众 近 250 人"),
    "guangcai.donors": ("2 家", "2 家企业和商会参与捐赠"),
    "chambers.county_awards": ("1 项", "获县级表彰 1 项"),
    "chambers.industry_founded": ("2 家", "新建行业商会 2 家"),
    "chambers.out_of_town_founded": ("1 家", "异地商会 1 家"),
    "chambers.founded": ("3 家", "共新建商会 3 家"),
    "chambers.industry_share": ("66.7%", "行业商会占 66.7%"),
    "research.surveys": ("0 项", None),
}


@pytest.fixture
def county(tmp_path, monkeypatch, sqlite_only):
    monkeypatch.setenv("TAIZHANG_DATA", str(tmp_path / "store"))
    runner = CliRunner()

    def run(*args: str, code: int = 0):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    run("template", "import", str(HERE / "county-template.yaml"), "--organisation", ORG, "--year", "2020",
        "--year", "2021", "--reason", "本县模板")
    ledger_file = tmp_path / "county.jsonl"
    ledger_file.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in LEDGER) + "\n", encoding="utf-8")
    run("import", str(ledger_file))
    return run, ledger_file


def summary(run, year: int = 2021) -> dict:
    return json.loads(run("summary", str(year), "--organisation", ORG, "--format", "json").output)


def section(body: dict, key: str) -> dict | None:
    return next((s for s in body["sections"][0]["subsections"] if s["key"] == key), None)


@pytest.mark.parametrize("key", list(EXPECTED))
def test_each_figure_of_the_county_is_in_the_json_and_the_text(county, key):
    run, _ = county
    body = summary(run)
    figure = figure_index(body)[key]
    text, phrase = EXPECTED[key]
    assert figure["text"] == text
    assert figure["event_count"] or phrase is None
    theme = key.split(".")[0]
    narrative = (section(body, theme) or {"text": ""})["text"]
    if phrase is None:
        assert text not in narrative, "a zero figure is not written into the text"
    else:
        assert phrase in narrative


def test_the_county_document_uses_its_own_frame_and_leaves_out_empty_sections(county):
    run, _ = county
    body = summary(run)
    assert body["title"] == "某县工商联2021年工作总结"
    assert body["template"]["name"] == "某县工商联模板"
    assert body["intro"].startswith("2021年，某县工商联围绕县委县政府中心工作，共开展各项工作 17 项")
    assert [s["title"] for s in body["sections"]] == ["一、主要工作开展情况", "二、存在的不足"]  # no plans logged
    assert [s["title"] for s in body["sections"][0]["subsections"]] == [
        "（一）助力招商引资，服务县域经济", "（二）深入走访企业，优化营商环境", "（三）弘扬光彩精神，回报社会",
        "（四）加强商会建设"]  # research: nothing logged, left out; its zero figure stays in the table
    assert "research.surveys" in figure_index(body)
    assert body["sections"][1]["text"].startswith("一是服务企业的精准度还不够高")
    text = run("summary", "2021", "--organisation", ORG, "--format", "md").output
    body_text, table = text.split("## 附：数据来源")
    assert "开展调查研究" not in body_text and "0 项" not in body_text
    assert "| 专题调研 | 0 项 | 0 |" in table


def test_kinds_the_template_does_not_list_are_refused_for_the_county_but_not_for_others(county, tmp_path):
    run, _ = county
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(line("job_fair", "2021-05-01", "招聘会", mode="online"), ensure_ascii=False) + "\n",
                   encoding="utf-8")
    out = run("import", str(bad), code=1).output
    assert "job_fair" in out and "某县工商联模板" in out
    other = {**line("job_fair", "2021-05-01", "招聘会", mode="online"), "organisation": "某区工商联"}
    bad.write_text(json.dumps(other, ensure_ascii=False) + "\n", encoding="utf-8")
    run("import", str(bad))


def test_importing_the_same_files_again_adds_nothing(county):
    run, ledger_file = county
    again = run("template", "import", str(HERE / "county-template.yaml"), "--organisation", ORG, "--year", "2021")
    assert json.loads(again.output)["changed"] is False
    assert "0 added" in run("import", str(ledger_file)).output


def test_a_bad_template_stores_nothing_and_names_every_bad_entry(county, tmp_path):
    run, _ = county
    text = (HERE / "county-template.yaml").read_text(encoding="utf-8")
    text = text.replace("measure: issues,", "measure: nosuch,").replace("where: {sector: industry}",
                                                                       "where: {sector: mining}")
    text = text.replace("kinds: [symposium, talk, training]", "kinds: [symposium, talk, job_fair]")
    text = text.replace("agg: distinct_firms", "agg: distinctfirms")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("name: 某县工商联模板", "name: 某县工商联模板二"), encoding="utf-8")
    out = run("template", "import", str(bad), code=1).output
    assert "4 处有误" in out
    assert "figures[6] (serve.issues).measure" in out and "nosuch" in out
    assert "figures[2] (attract.industry_projects).where.sector" in out and "mining" in out
    assert "figures[7] (serve.meetings).kinds" in out and "job_fair" in out
    assert "figures[4] (serve.firms_visited).agg" in out
    assert "某县工商联模板二" not in run("template", "list").output


def test_a_revision_may_add_a_field_but_not_change_a_fields_type(county, tmp_path):
    run, _ = county
    text = (HERE / "county-template.yaml").read_text(encoding="utf-8")
    changed = text.replace("{name: sector, type: choice,", "{name: sector, type: text,")
    path = tmp_path / "rev.yaml"
    path.write_text(changed, encoding="utf-8")
    out = run("template", "import", str(path), code=1).output
    assert "sector" in out and "keeps its type" in out
    added = text.replace("      - {name: issues, type: count, zh: 收集问题, en: issues collected, unit: 个, unit_en: issues}",
                         "      - {name: issues, type: count, zh: 收集问题, en: issues collected, unit: 个, unit_en: issues}\n"
                         "      - {name: solved, type: count, zh: 解决问题, en: issues solved, unit: 个}")
    assert added != text
    path.write_text(added, encoding="utf-8")
    assert json.loads(run("template", "import", str(path), "--reason", "走访加“解决问题”").output)["changed"]
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text(json.dumps(line("visit", "2021-11-11", "冬季走访", solved=5), ensure_ascii=False) + "\n",
                     encoding="utf-8")
    run("import", str(fixed))
    assert figure_index(summary(run))["serve.visits"]["text"] == "4 次"


def test_the_template_round_trips_through_export(county, tmp_path):
    run, _ = county
    out = tmp_path / "out.json"
    run("template", "export", str(out), "--name", "某县工商联模板")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["name"] == "某县工商联模板" and len(data["figures"]) == len(EXPECTED)
    default = tmp_path / "default.yaml"
    run("template", "export", str(default))
    assert "political.trainings" in default.read_text(encoding="utf-8")


def test_an_office_kind_is_exported_shown_and_has_its_history(county, tmp_path):
    run, ledger_file = county
    out = tmp_path / "export.jsonl"
    run("export", str(out))
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    investments = [x for x in lines if x["kind"] == "investment"]
    assert len(investments) == 2
    assert {"name": "总投资", "value": "3.2", "unit": "亿元", "approx": None} in investments[0]["measures"]
    from service.ledger import record_id_for

    rid = str(record_id_for(investments[0]["key"]))
    shown = json.loads(run("show", rid).output)
    assert shown["kind"] == "investment" and shown["event"] == "KindLogged"
    run("correct", rid, "--reason", "行业填错", "--sector", "service")
    story = run("history", rid).output
    assert "行业填错" in story
    assert figure_index(summary(run))["attract.industry_projects"]["text"] == "0 个"
    kinds = run("kinds", "--organisation", ORG, "--year", "2021").output
    assert "investment" in kinds and "招商引资项目签约" in kinds and "job_fair" not in kinds
