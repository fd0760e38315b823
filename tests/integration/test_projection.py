"""The pull projection (projections.views) and the figures folded from it (projections.summary).

The central property: however the notification log is folded — in batches of any size, caught up at
any points between writes — the view tables and the year-end summary are exactly those of one
rebuild from nothing, and every figure agrees with a plain model of the records kept by the test.
The examples after it pin the figure rules one by one.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import InvalidChange
from domain.uscc import make_uscc
from projections.figures import FIGURES, Figure
from projections.reports import Reports
from projections.summary import build_summary, figure_index
from projections.views import Projector, ViewStore, decode_state
from service.ledger import Ledger
from tests.helpers import with_event_ids

ORG = "东西湖区工商联"
OTHER_ORG = "江岸区工商联"
FIRM_A = {"name": "武汉甲科技有限公司", "uscc": make_uscc(1)}
FIRM_A_SHORT = {"name": "甲科技", "uscc": make_uscc(1)}  # the same firm (same code) under another name
FIRM_B = {"name": "武汉乙实业有限公司", "uscc": make_uscc(2)}
FIRM_C = {"name": "武汉丙商贸有限公司"}  # known by name only
FIRM_D = {"uscc": make_uscc(3)}  # known by code only
FIRM_POOL = [FIRM_A, FIRM_A_SHORT, FIRM_B, FIRM_C, FIRM_D]
CHAMBERS = ["武汉市东西湖区湖北商会", "东西湖区温州商会", "东西湖区餐饮协会"]
VIEW_TABLES = {"records": "id", "subjects": "id", "events": "position", "tracking": "name"}


@pytest.fixture(scope="module", autouse=True)
def sqlite_store():
    """No PostgreSQL setting of the caller's shell may switch these ledgers' store (module-wide, so
    that hypothesis examples share it)."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ("PERSISTENCE_MODULE", "TAIZHANG_PERSISTENCE_MODULE", "TAIZHANG_ACTOR"):
            mp.delenv(name, raising=False)
        yield


def log(ledger: Ledger, kind: str, *, on: str = "2020-05-12", org: str = ORG, firms=(), title: str | None = None,
        key: str | None = None, **values: Any) -> UUID:
    payload = {"kind": kind, "organisation": org, "occurred_on": on, "title": title or f"{kind} 活动",
               "firms": [dict(f) for f in firms], **values}
    if key is not None:
        payload["key"] = key
    return ledger.log(payload, actor="tester").id


def figures(summary: dict) -> dict[str, dict]:
    return figure_index(summary)


def table_rows(db, table: str) -> list[dict]:
    return list(db.query(f"SELECT * FROM [{table}] ORDER BY [{VIEW_TABLES[table]}]"))


# --- a plain model of the records, for the property -------------------------------------------------

@dataclass
class Rec:
    kind: str
    org: str
    on: date
    firms: list
    facts: dict  # measures as (Decimal, marker); choices as their plain value
    subject: str | None
    seq: int
    retracted: bool = False

    def get(self, name: str) -> Any:
        return self.facts.get(name)


def _marker(parts: list[tuple[Decimal, str | None]]) -> str | None:
    approx = [p for p in parts if p[1]]
    return max(approx, key=lambda p: p[0])[1] if approx else None


def expected_figure(figure: Figure, recs: list[Rec], org: str, year: int) -> tuple[Decimal, str | None]:
    """What one (non-``each``) figure must say, computed from the model alone."""
    year += figure.year_offset
    live = [r for r in sorted(recs, key=lambda r: r.seq)
            if not r.retracted and r.org == org and r.kind in figure.kinds
            and all(r.get(k) == v for k, v in figure.where.items())]
    if figure.agg in ("stock_sum", "stock_count"):
        candidates = [r for r in live if r.on <= date(year, 12, 31)]
        if figure.agg == "stock_count":
            return Decimal(len({r.subject for r in candidates})), None
        latest: dict[str, Rec] = {}
        for r in sorted(candidates, key=lambda r: (r.on, r.seq)):
            if figure.measure in r.facts:
                latest[r.subject] = r
        parts = [r.facts[figure.measure] for r in latest.values()]
        return sum((p[0] for p in parts), Decimal(0)), _marker(parts)
    matching = [r for r in live if r.on.year == year]
    if figure.agg == "count":
        return Decimal(len(matching)), None
    if figure.agg == "count_with":
        return Decimal(len([r for r in matching if figure.measure in r.facts])), None
    if figure.agg == "distinct_firms":
        return Decimal(len({f.get("uscc") or f.get("name") for r in matching for f in r.firms})), None
    if figure.agg == "sum":
        parts = []
        for r in matching:
            if figure.measure in r.facts:
                parts.append(r.facts[figure.measure])
            elif figure.default is not None:
                parts.append((Decimal(figure.default), None))
        return sum((p[0] for p in parts), Decimal(0)), _marker(parts)
    raise AssertionError(figure.agg)


# --- strategies ---------------------------------------------------------------------------------

MARKERS = st.sampled_from([None, None, "余", "多", "近"])


def draw_measure(data, money: bool = False, required: bool = False):
    """(payload value, model value) for a count or money measure, written in one of the accepted forms."""
    if money:
        number = Decimal(data.draw(st.integers(0, 2 * 10**11), label="cents")) / 100
    else:
        number = Decimal(data.draw(st.integers(0, 3000), label="count"))
    marker = data.draw(MARKERS, label="approx")
    style = data.draw(st.sampled_from(["text", "dict", "plain"]), label="style")
    digits = str(number)
    if style == "dict":
        payload: Any = {"value": digits if money else int(number), "approx": marker}
    elif style == "text" or marker:
        payload = f"近{digits}" if marker == "近" else f"{digits}{marker or ''}"
    else:
        payload = digits if money else int(number)
    model = (number.quantize(Decimal("0.01")) if money else number, marker)
    return payload, model


def draw_date(data) -> date:
    return date(data.draw(st.integers(2019, 2021), label="year"), data.draw(st.integers(1, 12), label="month"),
                data.draw(st.integers(1, 28), label="day"))


def draw_firms(data) -> list[dict]:
    return [dict(f) for f in data.draw(st.lists(st.sampled_from(FIRM_POOL), max_size=3), label="firms")]


# Per kind: its choice fields (with their values) and its measures (name, money?, required?).
ACTION_KINDS: dict[str, tuple[dict, tuple]] = {
    "job_fair": ({"mode": ["online", "offline"]}, (("posts", False, False), ("seekers_matched", False, False))),
    "training": ({}, (("participants", False, False),)),
    "deal": ({}, (("amount", True, True),)),
    "donation": ({"form": ["money", "goods"], "cause": ["poverty", "epidemic", "other"],
                  "donor_type": ["chamber", "firm", "person"]},
                 (("amount", True, True), ("donor_count", False, False))),
    "livestream": ({}, (("views", False, False),)),
    "survey": ({"method": ["seedling", "questionnaire", "research"]},
               (("firms_surveyed", False, False), ("reports", False, False))),
    "award": ({"level": ["district", "provincial"], "category": ["epidemic_contribution", "advanced_collective"],
               "recipient_type": ["firm"]}, ()),
}
FACT_KINDS: dict[str, tuple[dict, tuple]] = {
    "chamber_membership": ({}, (("members", False, True), ("party_members", False, False))),
    "enterprise_listed": ({"board": ["main", "chinext", "star"]}, ()),
}


class Scenario:
    """Drives a ledger with drawn operations and keeps the model in step."""

    def __init__(self, ledger: Ledger, data):
        self.ledger = ledger
        self.data = data
        self.recs: dict[UUID, Rec] = {}

    def draw(self, strategy, label=None):
        return self.data.draw(strategy, label=label)

    def log(self) -> None:
        kind = self.draw(st.sampled_from(sorted(ACTION_KINDS) + sorted(FACT_KINDS)), "kind")
        choices, measures = {**ACTION_KINDS, **FACT_KINDS}[kind]
        org = self.draw(st.sampled_from([ORG, ORG, OTHER_ORG]), "org")
        on = draw_date(self.data)
        payload: dict[str, Any] = {}
        facts: dict[str, Any] = {}
        for name, values in choices.items():
            payload[name] = facts[name] = self.draw(st.sampled_from(values), name)
        for name, money, required in measures:
            if required or self.draw(st.booleans(), f"has {name}"):
                payload[name], facts[name] = draw_measure(self.data, money)
        subject = None
        if kind == "chamber_membership":
            payload["chamber"] = subject = self.draw(st.sampled_from(CHAMBERS), "chamber")
            firms: list[dict] = []
        elif kind == "enterprise_listed":
            firms = [dict(self.draw(st.sampled_from(FIRM_POOL), "firm"))]
            subject = firms[0].get("uscc") or firms[0]["name"]
        else:
            firms = draw_firms(self.data)
        if kind == "award":
            payload["honour"] = "抗疫先进"
        record_id = log(self.ledger, kind, on=on.isoformat(), org=org, firms=firms, **payload)
        self.recs[record_id] = Rec(kind, org, on, firms, facts, subject, len(self.recs))

    def live(self) -> list[UUID]:
        return [rid for rid, r in self.recs.items() if not r.retracted]

    def correct(self) -> None:
        if not self.live():
            return
        rid = self.draw(st.sampled_from(self.live()), "record")
        rec = self.recs[rid]
        choices, measures = {**ACTION_KINDS, **FACT_KINDS}[rec.kind]
        changes: dict[str, Any] = {}
        model: dict[str, Any] = {}
        if self.draw(st.booleans(), "move date"):
            model["on"] = draw_date(self.data)
            changes["occurred_on"] = model["on"].isoformat()
        if rec.kind in ACTION_KINDS and self.draw(st.booleans(), "change firms"):
            changes["firms"] = model["firms"] = draw_firms(self.data)
        if rec.kind in ACTION_KINDS and self.draw(st.integers(0, 5), "move org") == 0:
            changes["organisation"] = model["org"] = OTHER_ORG if rec.org == ORG else ORG
        for name, values in choices.items():
            if self.draw(st.booleans(), f"change {name}"):
                changes[name] = self.draw(st.sampled_from(values), name)
        for name, money, required in measures:
            if self.draw(st.booleans(), f"change {name}"):
                if not required and self.draw(st.integers(0, 3), f"drop {name}") == 0:
                    changes[name] = None
                else:
                    changes[name], model[name] = draw_measure(self.data, money)
        if not changes:
            return
        try:
            self.ledger.correct(rid, changes, "核对后更正", actor="tester")
        except InvalidChange:  # the drawn correction changes nothing
            return
        rec.on = model.pop("on", rec.on)
        rec.firms = model.pop("firms", rec.firms)
        rec.org = model.pop("org", rec.org)
        for name in choices:
            if name in changes:
                rec.facts[name] = changes[name]
        for name, _money, _required in measures:
            if name in changes:
                if changes[name] is None:
                    rec.facts.pop(name, None)
                else:
                    rec.facts[name] = model[name]

    def retract(self) -> None:
        if not self.live():
            return
        rid = self.draw(st.sampled_from(self.live()), "record")
        self.ledger.retract(rid, "重复录入", actor="tester")
        self.recs[rid].retracted = True


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_folding_in_batches_of_any_size_at_any_points_gives_the_views_and_summary_of_one_rebuild(data):
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(env={"TAIZHANG_DATA": folder})
        try:
            incremental = ViewStore(Path(folder) / "incremental.sqlite")
            reports_folder = Path(folder) / "reports"
            reports_folder.mkdir()
            reports = Reports(ledger.recorder, reports_folder, batch=data.draw(st.integers(1, 50), label="batch"))
            scenario = Scenario(ledger, data)
            for _ in range(data.draw(st.integers(1, 30), label="operations")):
                op = data.draw(st.sampled_from(["log", "log", "log", "correct", "correct", "retract"]), label="op")
                getattr(scenario, op)()
                if data.draw(st.integers(0, 2), label="catch up?") == 0:
                    batch = data.draw(st.integers(1, 50), label="batch")
                    Projector(ledger.recorder, incremental, batch=batch).catch_up()
                if data.draw(st.integers(0, 5), label="summary?") == 0:
                    reports.summary(2020, ORG)  # folds and caches at this point
            head = Projector(ledger.recorder, incremental, batch=data.draw(st.integers(1, 50))).catch_up()

            fresh = ViewStore(None)
            assert Projector(ledger.recorder, fresh, batch=10**6).catch_up() == head
            for table in VIEW_TABLES:
                assert table_rows(incremental.db, table) == table_rows(fresh.db, table), table

            for org in (ORG, OTHER_ORG):
                for year in (2019, 2020, 2021):
                    assert build_summary(incremental.db, org, year, head) == build_summary(fresh.db, org, year, head)
            assert reports.summary(2020, ORG) == Reports(ledger.recorder, None).summary(2020, ORG)

            recs = list(scenario.recs.values())
            for org in (ORG, OTHER_ORG):
                got = figures(build_summary(fresh.db, org, 2020, head))
                for figure in FIGURES:
                    if figure.agg == "each":
                        continue
                    value, approx = expected_figure(figure, recs, org, 2020)
                    assert (Decimal(got[figure.key]["value"]), got[figure.key]["approx"]) == (value, approx), \
                        (org, figure.key)
        finally:
            ledger.close()


# --- the figure rules, one by one -----------------------------------------------------------------

def test_a_retracted_action_or_fact_leaves_every_figure(tmp_path):
    with_retracted = Ledger(env={"TAIZHANG_DATA": str(tmp_path / "a")})
    without = Ledger(env={"TAIZHANG_DATA": str(tmp_path / "b")})
    try:
        for app in (with_retracted, without):
            log(app, "job_fair", key="kept", mode="online", posts="120余", firms=[FIRM_B])
            log(app, "chamber_membership", key="kept-count", chamber=CHAMBERS[0], members=80, party_members=9)
        dropped = [
            log(with_retracted, "job_fair", mode="online", posts=300, seekers_matched="50多", firms=[FIRM_A],
                title="撤回的招聘会"),
            log(with_retracted, "deal", amount="1000000000", title="撤回的授信"),
            log(with_retracted, "training", participants="近100", title="撤回的培训"),
            log(with_retracted, "chamber_membership", on="2020-11-30", chamber=CHAMBERS[0], members=95),
            log(with_retracted, "enterprise_listed", board="main", firms=[FIRM_C]),
        ]
        for rid in dropped:
            with_retracted.retract(rid, "重复录入", actor="tester")
        a_reports = Reports(with_retracted.recorder, None)
        a = with_event_ids(a_reports, a_reports.summary(2020, ORG))
        b = Reports(without.recorder, None).summary(2020, ORG)
        fa, fb = figures(a), figures(b)
        assert fa.keys() == fb.keys()
        for key in fa:
            assert (fa[key]["value"], fa[key]["approx"], fa[key]["text"]) == \
                   (fb[key]["value"], fb[key]["approx"], fb[key]["text"]), key
        assert fa["business.job_fair_posts"]["text"] == "120 余个"
        assert fa["chambers.members"]["value"] == "80"
        dropped_positions = {n.id for n in with_retracted.recorder.select_notifications(start=1, limit=1000)
                             if _record_of(with_retracted, n) in dropped}
        assert dropped_positions
        assert not dropped_positions & {i for f in fa.values() for i in f["event_ids"]}
        assert "撤回" not in json.dumps(a, ensure_ascii=False)
        assert a["intro"] == b["intro"]
        assert [s["text"] for s in a["sections"][0]["subsections"]] == \
               [s["text"] for s in b["sections"][0]["subsections"]]
    finally:
        with_retracted.close()
        without.close()


def test_a_correction_changes_the_figure_and_a_new_date_moves_the_record_to_its_year(ledger, reports):
    fair = log(ledger, "job_fair", mode="offline", posts=300, firms=[FIRM_A])
    other = log(ledger, "job_fair", mode="offline", posts=40)
    assert figures(reports.summary(2020, ORG))["business.job_fair_posts"]["text"] == "340 个"

    ledger.correct(fair, {"posts": "500"}, "岗位数核对有误", actor="tester")
    after = figures(reports.summary(2020, ORG))
    assert after["business.job_fair_posts"]["value"] == "540"
    assert after["business.job_fair_posts"]["text"] == "540 个"
    assert after["business.job_fairs_offline"]["value"] == "2"

    ledger.correct(other, {"occurred_on": "2019-12-30"}, "日期录错", actor="tester")
    moved = figures(reports.summary(2020, ORG))
    assert moved["business.job_fair_posts"]["value"] == "500"
    assert moved["business.job_fairs_offline"]["value"] == "1"
    assert figures(reports.summary(2019, ORG))["business.job_fair_posts"]["value"] == "40"

    ledger.correct(fair, {"mode": "online"}, "实为线上", actor="tester")
    switched = figures(reports.summary(2020, ORG))
    assert switched["business.job_fairs_online"]["value"] == "1"
    assert switched["business.job_fairs_offline"]["value"] == "0"


def test_distinct_firms_count_a_firm_that_attends_three_fairs_once(ledger, reports):
    for month in ("03", "06", "09"):
        log(ledger, "job_fair", on=f"2020-{month}-10", mode="offline", firms=[FIRM_A])
    log(ledger, "job_fair", mode="online", firms=[FIRM_A, FIRM_B, FIRM_C])
    assert figures(reports.summary(2020, ORG))["business.job_fair_firms"]["value"] == "3"


def test_a_firm_named_differently_under_the_same_code_counts_once(ledger, reports):
    log(ledger, "job_fair", mode="offline", firms=[FIRM_A])
    log(ledger, "job_fair", mode="online", firms=[FIRM_A_SHORT])
    log(ledger, "award", level="district", honour="抗疫先进集体", category="advanced_collective",
        recipient_type="firm", firms=[FIRM_A, FIRM_A_SHORT])
    got = figures(reports.summary(2020, ORG))
    assert got["business.job_fair_firms"]["value"] == "1"
    assert got["social.district_collectives"]["value"] == "1"
    log(ledger, "job_fair", mode="online", firms=[FIRM_D, FIRM_B])
    assert figures(reports.summary(2020, ORG))["business.job_fair_firms"]["value"] == "3"


def test_stock_figures_take_each_chambers_latest_count_on_or_before_year_end(ledger, reports):
    first, second = CHAMBERS[0], CHAMBERS[1]
    log(ledger, "chamber_membership", on="2019-06-30", chamber=first, members=100, party_members=10)
    log(ledger, "chamber_membership", on="2019-12-31", chamber=first, members=110, party_members=11)
    log(ledger, "chamber_membership", on="2020-12-31", chamber=first, members=150, party_members=15)
    log(ledger, "chamber_membership", on="2021-01-01", chamber=first, members=999, party_members=99)  # after
    log(ledger, "chamber_membership", on="2020-03-01", chamber=second, members=40)
    # logged later but happened earlier: the count of 2020-12-31 stays the latest
    log(ledger, "chamber_membership", on="2020-06-30", chamber=first, members=120, party_members=12)
    log(ledger, "chamber_membership", on="2020-05-01", chamber=first, org=OTHER_ORG, members=7000)

    got = figures(reports.summary(2020, ORG))
    assert got["chambers.members"]["value"] == "190"  # 150 + 40
    assert got["chambers.party_members"]["value"] == "15"
    assert got["chambers.members_last_year"]["value"] == "110"  # year_offset -1: counts up to 2019-12-31
    assert got["chambers.party_members_last_year"]["value"] == "11"
    sub = next(s for s in reports.summary(2020, ORG)["sections"][0]["subsections"] if s["key"] == "chambers")
    assert "会员企业由去年的 110 名增加到 190 名" in sub["text"]

    earlier = figures(reports.summary(2019, ORG))
    assert earlier["chambers.members"]["value"] == "110"
    assert earlier["chambers.members_last_year"]["value"] == "0"


def test_year_offset_minus_one_reads_the_year_before(ledger, reports):
    log(ledger, "chamber_membership", on="2019-10-01", chamber=CHAMBERS[2], members="60多")
    log(ledger, "chamber_membership", on="2020-10-01", chamber=CHAMBERS[2], members=75)
    for year, (last, this) in {2019: ("0", "60"), 2020: ("60", "75"), 2021: ("75", "75")}.items():
        got = figures(reports.summary(year, ORG))
        assert (got["chambers.members_last_year"]["value"], got["chambers.members"]["value"]) == (last, this), year
    got = figures(reports.summary(2020, ORG))
    assert got["chambers.members_last_year"]["approx"] == "多"
    assert got["chambers.members_last_year"]["text"] == "60 多名"
    assert got["chambers.members"]["approx"] is None


def test_approximate_markers_propagate_through_sums(ledger, reports):
    log(ledger, "training", participants="20多")
    log(ledger, "training", participants=10)
    log(ledger, "policy_booklet", copies="近500")
    log(ledger, "policy_booklet", copies={"value": 1000, "approx": "余"})
    got = figures(reports.summary(2020, ORG))
    participants = got["political.training_participants"]
    assert (participants["value"], participants["approx"]) == ("30", "多")
    assert participants["text"] == "30 多名"
    copies = got["business.booklet_copies"]  # the marker of the largest approximate part
    assert (copies["value"], copies["approx"], copies["text"]) == ("1500", "余", "1500 余册")
    assert got["political.trainings"]["approx"] is None
    assert got["business.talks"]["approx"] is None


def _record_of(ledger: Ledger, notification) -> UUID:
    event = ledger.mapper.to_domain_event(notification)
    return getattr(event, "fact_id", event.originator_id)


def test_every_figures_event_ids_resolve_to_stored_events_of_records_that_contribute(ledger, reports):
    fair = log(ledger, "job_fair", mode="online", posts="200余", seekers_matched=30, firms=[FIRM_A, FIRM_B])
    offline = log(ledger, "job_fair", mode="offline", posts=50, firms=[FIRM_C])
    gone = log(ledger, "job_fair", mode="offline", posts=70, firms=[FIRM_D])
    log(ledger, "job_fair", on="2019-04-01", mode="offline", posts=10, firms=[FIRM_A])
    log(ledger, "deal", amount="28000000", firms=[FIRM_B])
    log(ledger, "donation", form="money", amount="近300000", cause="poverty", donor_type="chamber")
    count = log(ledger, "chamber_membership", on="2020-09-01", chamber=CHAMBERS[0], members=50, party_members=5)
    log(ledger, "chamber_membership", on="2019-09-01", chamber=CHAMBERS[0], members=45)
    log(ledger, "enterprise_listed", on="2018-07-01", board="chinext", firms=[FIRM_A])
    ledger.correct(fair, {"posts": "250余"}, "核对", actor="tester")
    ledger.correct(count, {"members": 55}, "核对", actor="tester")
    ledger.retract(gone, "重复", actor="tester")

    summary = with_event_ids(reports, reports.summary(2020, ORG))
    checked = 0
    for key, fig in figures(summary).items():
        figure = next(f for f in FIGURES if key == f.key or key.startswith(f.key + "."))
        year = 2020 + figure.year_offset
        records = set()
        for event_id in fig["event_ids"]:
            found = ledger.recorder.select_notifications(start=event_id, limit=1)
            assert found and found[0].id == event_id, (key, event_id)
            record_id = _record_of(ledger, found[0])
            record = ledger.get(record_id)
            assert not record["retracted"], (key, event_id)
            assert record["kind"] in figure.kinds, (key, event_id)
            assert all(record.get(k) == v for k, v in figure.where.items()), (key, event_id)
            if figure.agg in ("stock_sum", "stock_count"):
                assert record["occurred_on"] <= f"{year}-12-31", (key, event_id)
            else:
                assert record["occurred_on"].startswith(str(year)), (key, event_id)
            records.add(record_id)
            checked += 1
        if figure.agg in ("count", "stock_count"):
            assert len(records) == int(fig["value"]), key
    assert checked
    got = figures(summary)
    positions: dict[UUID, list[int]] = {}
    for n in ledger.recorder.select_notifications(start=1, limit=1000):
        positions.setdefault(_record_of(ledger, n), []).append(n.id)
    assert len(positions[fair]) == 2  # logged, corrected
    assert got["business.job_fair_posts"]["event_ids"] == sorted(positions[fair] + positions[offline])
    assert set(positions[count]) <= set(got["chambers.members"]["event_ids"])  # stated, entry and correction
    assert got["chambers.members_last_year"]["value"] == "45"
    assert got["business.listed_total"]["value"] == "1"


def test_a_stored_version_1_training_is_upcast_and_folded_with_no_end_date(ledger, reports):
    log(ledger, "training", key="v2", on="2020-05-12", ends_on="2020-05-13", participants=30)
    raw = ledger.recorder.select_notifications(start=1, limit=1)[0]
    assert raw.topic == "taizhang:TrainingHeld"
    state = json.loads(raw.state)
    assert state.pop("class_version") == 2
    del state["ends_on"]
    state["key"] = "v1"
    state["facts"] = {"participants": {"value": 12, "approx": "余"}}
    old_id = uuid4()
    ledger.recorder.insert_events([StoredEvent(originator_id=old_id, originator_version=1,
                                               topic="taizhang:TrainingHeld",
                                               state=json.dumps(state, ensure_ascii=False).encode())])
    stored = ledger.recorder.select_notifications(start=2, limit=1)[0]
    assert b"ends_on" not in stored.state and b"class_version" not in stored.state

    _step, _cls, data = decode_state(stored.topic, stored.state)
    assert "ends_on" in data and data["ends_on"] is None

    reports.catch_up()
    rows = {r["key"]: r for r in reports.store.db.query("SELECT * FROM records")}
    assert rows["v1"]["ends_on"] is None
    assert rows["v1"]["id"] == str(old_id)
    assert rows["v1"]["year"] == 2020 and rows["v1"]["kind"] == "training"
    assert rows["v2"]["ends_on"] == "2020-05-13"
    got = figures(reports.summary(2020, ORG))
    assert got["political.trainings"]["value"] == "2"
    assert got["political.training_participants"]["text"] == "42 余名"
    assert "ends_on" not in ledger.get(old_id)  # the domain upcasts it too: no end date


def test_a_chamber_or_enterprise_facts_view_row_carries_the_record_id_the_ledger_answered(ledger, reports):
    count = log(ledger, "chamber_membership", chamber=CHAMBERS[1], members=30)
    listed = log(ledger, "enterprise_listed", board="star", firms=[FIRM_B])
    ledger.correct(count, {"members": 33}, "核对", actor="tester")
    reports.catch_up()
    rows = reports.store.db["records"]
    for rid in (count, listed):
        assert rows.get(str(rid))["kind"] in ("chamber_membership", "enterprise_listed")
    assert json.loads(rows.get(str(count))["facts"])["members"]["value"] == 33
    assert reports.store.db.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 2
    events = {e["position"]: e["record_id"] for e in reports.store.db.query("SELECT * FROM events")}
    assert sorted(p for p, r in events.items() if r == str(count)) == \
           [n.id for n in ledger.recorder.select_notifications(start=1, limit=100) if _record_of(ledger, n) == count]
