"""The 2020 demo ledger, folded, reproduces every figure of the seed's 一、主要工作 — in the JSON and in the text.

The expected texts below are read off ../shared/seed/dongxihu-fic-2020-work-summary.txt; the values
they are compared with are computed from the demo ledger's events by the projection.
"""
import json

import pytest
from click.testing import CliRunner

from projections.reports import Reports
from projections.summary import figure_index
from scripts.cli import cli
from scripts.demo import demo_payloads
from service.ledger import Ledger
from tests.helpers import with_event_ids

SEED_FIGURES = [
    ("political", "political.trainings", "7 场次"),
    ("political", "political.training_participants", "55 余名"),
    ("business", "business.talks", "6 场"),
    ("business", "business.booklet_copies", "1000 余册"),
    ("business", "business.job_fairs_online", "7 场"),
    ("business", "business.job_fairs_offline", "1 场"),
    ("business", "business.job_fair_firms", "597 家"),
    ("business", "business.job_fair_posts", "9048 个"),
    ("business", "business.job_fair_seekers", "1803 名"),
    ("business", "business.tax_firms", "47 家"),
    ("business", "business.matchmakings", "3 场"),
    ("business", "business.matchmaking_firms", "27 家"),
    ("business", "business.credit_signed", "10 亿元"),
    ("business", "business.legal_firms", "20 多家"),
    ("business", "business.litigation_firms", "4 家"),
    ("business", "business.listing_issues", "9 个"),
    ("business", "business.new_listings", "3 家"),
    ("business", "business.listed_total", "5 家"),
    ("business", "business.seedling_firms", "142 家"),
    ("business", "business.conference_firms", "20 家"),
    ("business", "business.gold_seeds", "4 家"),
    ("business", "business.silver_seeds", "3 家"),
    ("social", "social.poverty_donations", "近 30 万元"),
    ("social", "social.households_lifted", "12 户"),
    ("social", "social.people_lifted", "22 人"),
    ("social", "social.cadres_deployed", "3 名"),
    ("social", "social.epidemic_donor_chambers", "6 家"),
    ("social", "social.epidemic_donor_firms", "40 多家"),
    ("social", "social.epidemic_money", "2800 万元"),
    ("social", "social.epidemic_goods", "2400 万元"),
    ("social", "social.epidemic_award_firms", "9 家"),
    ("social", "social.district_collectives", "3 家"),
    ("chambers", "chambers.livestreams", "9 场"),
    ("chambers", "chambers.livestreams_with_views", "2 场"),
    ("chambers", "chambers.livestream_views", "40 万人次"),
    ("chambers", "chambers.members_last_year", "90 名"),
    ("chambers", "chambers.members", "97 名"),
    ("chambers", "chambers.party_members_last_year", "18 名"),
    ("chambers", "chambers.party_members", "23 名"),
    ("chambers", "chambers.elections", "2 家"),
    ("chambers", "chambers.founded", "1 家"),
    ("chambers", "chambers.preparing", "1 家"),
    ("research", "research.symposium_firms", "40 余家"),
    ("research", "research.symposiums", "2 次"),
    ("research", "research.questionnaire_firms", "367 家"),
]
# The field hospital and the hospital: figures per action (卓尔投资 1461 / 1760 / 868, 太康医院 303 / 253).
EPIDEMIC_CARE = {("卓尔投资", "beds"): "1461 个", ("卓尔投资", "patients_admitted"): "1760 人",
                 ("卓尔投资", "patients_cured"): "868 人", ("太康医院", "patients_admitted"): "303 人",
                 ("太康医院", "patients_cured"): "253 人"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    ledger = Ledger({"TAIZHANG_DATA": str(folder)})
    ledger.import_lines((json.dumps(p, ensure_ascii=False) for p in demo_payloads()), actor="demo")
    reports = Reports(ledger.recorder, folder, owner=ledger)
    return folder, ledger, reports, with_event_ids(reports, reports.summary(2020))


def _subsection(summary, theme):
    return next(s for s in summary["sections"][0]["subsections"] if s["key"] == theme)


@pytest.mark.parametrize("theme,key,text", SEED_FIGURES, ids=[k for _, k, _ in SEED_FIGURES])
def test_seed_figure_is_in_the_json_and_in_its_theme_text(demo, theme, key, text):
    _, _, _, summary = demo
    figure = figure_index(summary)[key]
    assert figure["text"] == text
    sub = _subsection(summary, theme)
    assert key in {f["key"] for f in sub["figures"]}
    assert text in sub["text"], f"{text} not in the narrative of {theme}"
    assert figure["event_ids"], "a figure carries the events behind it"


def test_epidemic_care_figures_are_per_action(demo):
    _, _, _, summary = demo
    care = {k: f for k, f in figure_index(summary).items() if k.startswith("social.epidemic_care.")}
    found = {}
    for key, f in care.items():
        measure = key.rsplit(".", 1)[1]
        firm = f["label"].split("提供")[0].split("收治")[0].split("治愈")[0]
        found[(firm, measure)] = f["text"]
    assert found == EPIDEMIC_CARE
    text = _subsection(summary, "social")["text"]
    assert all(t in text for t in EPIDEMIC_CARE.values())


def test_about_forty_seed_figures_are_checked():
    assert len(SEED_FIGURES) + len(EPIDEMIC_CARE) >= 40


def test_every_event_id_of_every_figure_resolves_to_a_stored_event(demo):
    _, ledger, _, summary = demo
    ids = sorted({i for f in figure_index(summary).values() for i in f["event_ids"]})
    assert ids
    for position in ids:
        [n] = ledger.recorder.select_notifications(start=position, limit=1)
        assert n.id == position


def test_summary_keeps_the_seeds_structure(demo):
    _, _, _, summary = demo
    titles = [s["title"] for s in summary["sections"]]
    assert titles == ["一、主要工作", "二、存在问题", "三、2021 年工作思路"]
    subs = [s["title"] for s in summary["sections"][0]["subsections"]]
    assert subs[0] == "（一）把握政治方向，引导民营经济人士健康成长取得新成效"
    assert [s[:3] for s in subs] == ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）"]
    assert summary["sections"][1]["text"].startswith("一是服务民营企业的覆盖面不够")
    targets = {t["target_kind"]: t for t in summary["sections"][2]["targets"]}
    assert targets["matchmaking"]["quantity"] == 2 and targets["matchmaking"]["actual"] == 0
    assert "组织开展银企对接会 2 场" in summary["sections"][2]["text"]


def test_talks_name_up_to_three_titles_then_the_count(demo):
    _, _, _, summary = demo
    text = _subsection(summary, "business")["text"]
    assert "等知识讲座 6 场" in text


def test_cli_demo_then_markdown_summary_shows_every_seed_figure(tmp_path, monkeypatch):
    monkeypatch.setenv("TAIZHANG_DATA", str(tmp_path))
    runner = CliRunner()
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    again = runner.invoke(cli, ["demo"])
    assert "0 added" in again.output
    result = runner.invoke(cli, ["summary", "2020", "--format", "md"])
    assert result.exit_code == 0, result.output
    for _, _, text in SEED_FIGURES:
        assert text in result.output
    assert result.output.startswith("# 东西湖区工商联 2020 年工作总结")
