"""The demo data (scripts/demo.py) is valid input and reproduces the seed's 2020 figures.

The figures are checked with a plain-Python fold over the payloads written here, independently of
projections/: count, sum (with its approximation marker), distinct firms, stock at year end.
"""
from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest

from domain.uscc import is_valid_uscc
from scripts.demo import ORG, demo_payloads
from service.schemas import load_action

PAYLOADS = demo_payloads()
YEAR = "2020"
YEAR_END = "2020-12-31"
LAST_YEAR_END = "2019-12-31"


# --- an independent fold ------------------------------------------------------------------------

def measure(value) -> tuple[Decimal, str | None] | None:
    """(number, approximation marker) of a measure as a payload writes it."""
    if value is None:
        return None
    if isinstance(value, dict):
        return Decimal(str(value["value"])), value.get("approx")
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(近)?\s*([0-9.]+)\s*(余|多)?\s*", value)
        return Decimal(m.group(2)), m.group(1) or m.group(3)
    return Decimal(str(value)), None


def records(kind: str, year: str | None = YEAR, **where) -> list[dict]:
    return [p for p in PAYLOADS
            if p["kind"] == kind and (year is None or p["occurred_on"][:4] == year)
            and all(p.get(k) == v for k, v in where.items())]


def count(kind: str, **where) -> int:
    return len(records(kind, **where))


def total(kind: str, name: str, default=None, **where) -> tuple[Decimal, set[str]]:
    """Sum of a measure over the year's records, and the markers of its parts."""
    value, markers = Decimal(0), set()
    for p in records(kind, **where):
        m = measure(p.get(name))
        if m is None:
            if default is None:
                continue
            m = (Decimal(default), None)
        value += m[0]
        if m[1]:
            markers.add(m[1])
    return value, markers


def firm_id(f: dict) -> str:
    return f.get("uscc") or f["name"]


def distinct_firms(kind: str, **where) -> int:
    return len({firm_id(f) for p in records(kind, **where) for f in p.get("firms", [])})


def stock_sum(kind: str, name: str, on: str) -> Decimal:
    latest: dict[str, dict] = {}
    for p in sorted(records(kind, year=None), key=lambda p: p["occurred_on"]):
        if p["occurred_on"] <= on:
            latest[p["chamber"]] = p
    return sum((measure(p[name])[0] for p in latest.values() if p.get(name) is not None), Decimal(0))


def stock_count(kind: str, on: str) -> int:
    return len({firm_id(p["firms"][0]) for p in records(kind, year=None) if p["occurred_on"] <= on})


def exact(value: tuple[Decimal, set[str]], expected: int) -> None:
    assert value == (Decimal(expected), set())


def approximately(value: tuple[Decimal, set[str]], expected: int, marker: str) -> None:
    assert value == (Decimal(expected), {marker})


# --- validity -----------------------------------------------------------------------------------

def test_every_payload_is_accepted_by_the_schema():
    assert len(PAYLOADS) > 100
    for p in PAYLOADS:
        kind, key, data = load_action(p)  # raises InvalidInput on any bad payload
        assert key == p["key"] and kind.key == p["kind"]
        assert data["organisation"] == ORG and data["title"]
        assert "notes" in p and "occurred_on" in p


def test_keys_are_unique_and_stable():
    keys = [p["key"] for p in PAYLOADS]
    assert len(set(keys)) == len(keys)
    assert all(k.startswith("demo-") for k in keys)
    assert demo_payloads() == PAYLOADS


def test_every_code_is_valid_and_a_firm_has_one_code():
    codes_by_name: dict[str, set[str]] = {}
    names_by_code: dict[str, set[str]] = {}
    for p in PAYLOADS:
        for f in p.get("firms", []):
            assert is_valid_uscc(f["uscc"]), f
            codes_by_name.setdefault(f["name"], set()).add(f["uscc"])
            names_by_code.setdefault(f["uscc"], set()).add(f["name"])
    assert codes_by_name and all(len(c) == 1 for c in codes_by_name.values())
    assert all(len(n) == 1 for n in names_by_code.values())


def test_job_fair_firms_overlap_and_their_union_is_597():
    fairs = records("job_fair")
    per_fair = [[firm_id(f) for f in p["firms"]] for p in fairs]
    assert all(len(ids) == len(set(ids)) for ids in per_fair)  # no firm twice on one fair
    union = set().union(*map(set, per_fair))
    assert len(union) == 597
    assert sum(map(len, per_fair)) > 597
    attendance = Counter(i for ids in per_fair for i in ids)
    assert sum(1 for n in attendance.values() if n > 1) >= 50


def test_dates_follow_the_2020_calendar():
    for p in records("job_fair", mode="online"):
        assert p["occurred_on"] >= "2020-02-01"
    in_person = (records("job_fair", mode="offline") + records("training") + records("symposium")
                 + records("matchmaking") + records("capital_conference"))
    assert all(p["occurred_on"] >= "2020-05-01" for p in in_person)
    assert all(p.get("ends_on") is None or p["ends_on"] >= p["occurred_on"] for p in PAYLOADS)


# --- the figures of 一、主要工作 -----------------------------------------------------------------

def test_political_figures():
    assert count("training") == 7
    approximately(total("training", "participants"), 55, "余")
    assert [p["title"] for p in records("training") if p.get("participants")] == [
        "赴新加坡国立大学苏州研究院理想信念教育培训"]


def test_business_figures():
    assert count("talk") == 6
    assert {"疫情后企业人力资本实务培训", "直播平台网络知识培训", "科技成果转化培训"} <= {
        p["title"] for p in records("talk")}
    approximately(total("policy_booklet", "copies"), 1000, "余")
    assert count("job_fair", mode="online") == 7
    assert count("job_fair", mode="offline") == 1
    assert distinct_firms("job_fair") == 597
    exact(total("job_fair", "posts"), 9048)
    exact(total("job_fair", "seekers_matched"), 1803)
    exact(total("tax_guidance", "firms_served"), 47)
    assert count("matchmaking") == 3
    exact(total("matchmaking", "firms_with_intent"), 27)
    exact(total("deal", "amount"), 1_000_000_000)
    assert [f["name"] for p in records("deal") for f in p["firms"]] == ["友发包装"]
    approximately(total("legal_service", "firms_served"), 20, "多")
    exact(total("litigation_help", "firms_served"), 4)
    exact(total("listing_support", "issues_resolved"), 9)
    assert {"回盛生物", "菱电电控"} <= {f["name"] for p in records("listing_support") for f in p["firms"]}


def test_listings():
    listed = {p["firms"][0]["name"]: p["board"] for p in records("enterprise_listed")}
    assert listed == {"良品铺子": "main", "回盛生物": "chinext", "菱电电控": "star"}
    assert count("enterprise_listed") == 3
    assert stock_count("enterprise_listed", YEAR_END) == 5
    assert stock_count("enterprise_listed", LAST_YEAR_END) == 2


def test_listing_reserve_figures():
    exact(total("survey", "firms_surveyed", method="seedling"), 142)
    assert all(p["theme"] == "business" for p in records("survey", method="seedling"))
    exact(total("capital_conference", "firms_count"), 20)
    assert count("reserve_pool", pool="gold") == 4
    assert count("reserve_pool", pool="silver") == 3
    assert all(len(p["firms"]) == 1 for p in records("reserve_pool"))
    names = {p["pool"]: set() for p in records("reserve_pool")}
    for p in records("reserve_pool"):
        names[p["pool"]].add(p["firms"][0]["name"])
    assert "千里马" in names["gold"] and "昊诚能源" in names["silver"]


def test_poverty_figures():
    approximately(total("donation", "amount", cause="poverty"), 300_000, "近")
    donors = {p["donor"] for p in records("donation", cause="poverty")}
    assert donors == {"新竹商会", "食品行业协会", "年轻一代商会", "工程机械配件商会", "良品铺子"}
    exact(total("poverty_relief", "households"), 12)
    exact(total("poverty_relief", "people"), 22)
    exact(total("cadre_deployed", "people"), 3)


def test_epidemic_figures():
    care = {p["firms"][0]["name"]: {k: p.get(k) for k in ("beds", "patients_admitted", "patients_cured")}
            for p in records("epidemic_care")}
    assert care == {
        "卓尔投资": {"beds": 1461, "patients_admitted": 1760, "patients_cured": 868},
        "太康医院": {"beds": None, "patients_admitted": 303, "patients_cured": 253},
    }
    exact(total("donation", "donor_count", default=1, cause="epidemic", donor_type="chamber"), 6)
    approximately(total("donation", "donor_count", default=1, cause="epidemic", donor_type="firm"), 40, "多")
    exact(total("donation", "amount", cause="epidemic", form="money"), 28_000_000)
    exact(total("donation", "amount", cause="epidemic", form="goods"), 24_000_000)
    chambers = records("donation", cause="epidemic", donor_type="chamber")
    assert len({p["donor"] for p in chambers}) == 6
    assert all(p.get("donor_count") is not None for p in records("donation", cause="epidemic"))


def test_award_figures():
    assert distinct_firms("award", category="epidemic_contribution") == 9
    assert {p["level"] for p in records("award", category="epidemic_contribution")} == {"provincial"}
    assert distinct_firms("award", category="advanced_collective", level="district") == 3
    collectives = {(f["name"], p["level"]) for p in records("award", category="advanced_collective")
                   for f in p["firms"]}
    assert {("京东物流", "provincial"), ("万科物业", "municipal"), ("天济中药", "district"),
            ("战友集团", "district"), ("武汉客厅", "district")} == collectives
    four_good = {(p["recipient"], p["level"], p["recipient_type"]) for p in records("award", category="four_good")}
    assert four_good == {("年轻一代商会", "national", "chamber"), ("食品行业协会", "municipal", "chamber")}
    rule_of_law = {f["name"] for p in records("award", category="rule_of_law") for f in p["firms"]}
    assert rule_of_law == {"长兴电器", "回盛生物"}


def test_chamber_figures():
    assert count("livestream") == 9
    assert sum(1 for p in records("livestream") if p.get("views") is not None) == 2
    exact(total("livestream", "views"), 400_000)
    assert stock_sum("chamber_membership", "members", LAST_YEAR_END) == 90
    assert stock_sum("chamber_membership", "members", YEAR_END) == 97
    assert stock_sum("chamber_membership", "party_members", LAST_YEAR_END) == 18
    assert stock_sum("chamber_membership", "party_members", YEAR_END) == 23
    at_2019 = {p["chamber"] for p in records("chamber_membership", year="2019")}
    at_2020 = {p["chamber"] for p in records("chamber_membership")}
    assert at_2019 == at_2020 and len(at_2020) >= 2
    assert count("chamber_election") == 2
    assert [p["chamber"] for p in records("chamber_founded")] == ["钢贸商会"]
    assert [p["chamber"] for p in records("chamber_preparing")] == ["网络安全产业商会"]


def test_research_figures():
    assert count("survey", method="research") == 2
    exact(total("survey", "reports"), 1)
    assert count("symposium") == 2
    approximately(total("symposium", "firms_attending"), 40, "余")
    exact(total("survey", "firms_surveyed", method="questionnaire"), 367)


# --- the other sections -------------------------------------------------------------------------

def test_problems_targets_and_section_titles():
    problems = records("problem")
    assert len(problems) == 2 and all(p["notes"] and p["occurred_on"] >= "2020-10-01" for p in problems)
    targets = {(p["target_kind"], p["quantity"]) for p in records("target", for_year=2021)}
    assert Counter((p["target_kind"], p["quantity"]) for p in records("target", for_year=2021)) == Counter({
        ("matchmaking", 2): 1, ("symposium", 2): 1, ("training", 1): 2, ("work", 20): 1})
    assert targets
    titles = {p["section"]: p["title"] for p in records("theme_title", for_year=2020)}
    assert set(titles) == {"political", "business", "social", "chambers", "research", "self"}
    assert titles["political"] == "把握政治方向，引导民营经济人士健康成长取得新成效"
    assert not any(t.startswith("（") for t in titles.values())


def test_work_records_in_self_and_political():
    themes = Counter(p.get("theme") for p in records("work"))
    assert themes["self"] >= 3 and themes["political"] >= 2
    assert any("党风廉政建设宣教月" in p["title"] for p in records("work"))


@pytest.mark.parametrize("kind", ["training", "talk", "job_fair", "donation", "award", "survey"])
def test_no_record_of_a_counted_kind_lies_outside_2020_except_opening_stocks(kind):
    assert all(p["occurred_on"][:4] == YEAR for p in records(kind, year=None))
