"""The year-end summary as of a moment or a position, the difference between two, its JSON shape and
its Chinese wording of numbers and money (projections.reports, projections.summary)."""
from __future__ import annotations

import copy
import time
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from domain.uscc import make_uscc
from projections.summary import figure_index
from service.ledger import Ledger
from tests.helpers import with_event_ids

ORG = "东西湖区工商联"
FIRM_A = {"name": "武汉甲科技有限公司", "uscc": make_uscc(1)}
FIRM_B = {"name": "武汉乙实业有限公司", "uscc": make_uscc(2)}
BEIJING = timezone(timedelta(hours=8))


def log(ledger: Ledger, kind: str, *, on: str = "2020-05-12", firms=(), title: str | None = None,
        **values: Any) -> UUID:
    payload = {"kind": kind, "organisation": ORG, "occurred_on": on, "title": title or f"{kind} 活动",
               "firms": [dict(f) for f in firms], **values}
    return ledger.log(payload, actor="tester").id


def moment() -> str:
    """The ISO moment now, strictly between the write before and the write after."""
    time.sleep(0.01)
    now = datetime.now(timezone.utc).isoformat()
    time.sleep(0.01)
    return now


def figures(summary: dict) -> dict[str, dict]:
    return figure_index(summary)


def head(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


# --- as of a moment, as of a position ---------------------------------------------------------------

def test_as_of_a_moment_before_a_correction_shows_the_old_figure_and_after_it_the_new(ledger, reports):
    fair = log(ledger, "job_fair", mode="offline", posts=300, firms=[FIRM_A])
    logged_at = head(ledger)
    between = moment()
    ledger.correct(fair, {"posts": 500}, "岗位数核对有误", actor="tester")
    after = moment()

    old = reports.summary(2020, ORG, as_of=between)
    assert figures(old)["business.job_fair_posts"]["text"] == "300 个"
    assert (old["as_of"], old["position"]) == (between, logged_at)
    assert figures(with_event_ids(reports, old))["business.job_fair_posts"]["event_ids"] == [logged_at]

    new = reports.summary(2020, ORG, as_of=after)
    assert figures(new)["business.job_fair_posts"]["text"] == "500 个"
    assert (new["as_of"], new["position"]) == (after, head(ledger))
    assert figures(reports.summary(2020, ORG))["business.job_fair_posts"]["text"] == "500 个"
    # asking again (now from the cache of the caught-up view) answers the same
    assert figures(reports.summary(2020, ORG, as_of=between))["business.job_fair_posts"]["text"] == "300 个"


def test_an_as_of_moment_in_beijing_time_means_the_same_instant_as_in_utc(ledger, reports):
    fair = log(ledger, "job_fair", mode="offline", posts=300)
    between = moment()
    ledger.correct(fair, {"posts": 500}, "岗位数核对有误", actor="tester")
    in_beijing = datetime.fromisoformat(between).astimezone(BEIJING).isoformat()
    assert in_beijing.endswith("+08:00")

    summary = reports.summary(2020, ORG, as_of=in_beijing)
    assert summary["position"] == reports.summary(2020, ORG, as_of=between)["position"] == 1
    assert figures(summary)["business.job_fair_posts"]["text"] == "300 个"
    a_minute_later = (datetime.fromisoformat(between) + timedelta(minutes=1)).astimezone(BEIJING).isoformat()
    assert figures(reports.summary(2020, ORG, as_of=a_minute_later))["business.job_fair_posts"]["text"] == "500 个"


def test_as_of_a_position_folds_the_log_up_to_that_event(ledger, reports):
    fair = log(ledger, "job_fair", mode="offline", posts=300)  # position 1
    log(ledger, "job_fair", mode="online", posts="40余")  # position 2
    ledger.correct(fair, {"posts": 500}, "核对", actor="tester")  # position 3

    def posts(as_of):
        summary = with_event_ids(reports, reports.summary(2020, ORG, as_of=as_of))
        fig = figures(summary)["business.job_fair_posts"]
        return summary["position"], fig["text"], fig["event_ids"]

    assert posts(0) == (0, "0 个", [])
    assert posts(1) == (1, "300 个", [1])
    assert posts(2) == (2, "340 余个", [1, 2])
    assert posts("3") == (3, "540 余个", [1, 2, 3])
    assert posts(99) == (3, "540 余个", [1, 2, 3])  # beyond the head: the head
    assert reports.summary(2020, ORG, as_of=1)["as_of"] is None


def test_as_of_a_moment_before_any_event_gives_zeros(ledger, reports):
    before = moment()
    log(ledger, "job_fair", mode="offline", posts=300, firms=[FIRM_A])
    log(ledger, "deal", amount="1000000000")
    log(ledger, "chamber_membership", on="2019-06-30", chamber="东西湖区温州商会", members=80)
    log(ledger, "training", participants="20多")

    summary = reports.summary(2020, ORG, as_of=before)
    assert summary["position"] == 0
    all_figures = figures(with_event_ids(reports, summary))
    assert len(all_figures) > 30
    for key, fig in all_figures.items():
        assert (fig["value"], fig["approx"], fig["event_ids"]) == ("0", None, []), key
    now = figures(reports.summary(2020, ORG))
    assert now["business.credit_signed"]["text"] == "10 亿元"
    assert now["chambers.members_last_year"]["value"] == "80"


# --- the difference between two moments ---------------------------------------------------------

def test_the_difference_between_two_moments_lists_exactly_the_changed_figures(ledger, reports):
    fair = log(ledger, "job_fair", mode="offline", posts=300, firms=[FIRM_A])
    training = log(ledger, "training", participants="20多")
    log(ledger, "deal", amount="28000000")
    first = moment()
    ledger.correct(fair, {"posts": 500}, "核对", actor="tester")
    ledger.correct(training, {"participants": "20余"}, "约数写法", actor="tester")  # same value, other marker
    log(ledger, "policy_booklet", copies="1000余")
    second = moment()

    diff = reports.difference(2020, first, second, organisation=ORG)
    assert diff["year"] == 2020
    assert diff["before"] == {"as_of": first, "position": 3}
    assert diff["after"] == {"as_of": second, "position": 6}
    changes = {c["key"]: (c["before"], c["after"]) for c in diff["changes"]}
    assert changes == {
        "business.job_fair_posts": ("300 个", "500 个"),
        "political.training_participants": ("20 多名", "20 余名"),
        "business.booklet_copies": ("0 册", "1000 余册"),
    }
    posts = next(c for c in diff["changes"] if c["key"] == "business.job_fair_posts")
    assert (posts["before_value"], posts["after_value"], posts["label"]) == ("300", "500", "提供用工岗位")
    assert reports.difference(2020, second, None, organisation=ORG)["changes"] == []
    assert reports.difference(2020, first, first, organisation=ORG)["changes"] == []


def test_a_retraction_between_two_moments_shows_as_the_figure_dropping(ledger, reports):
    log(ledger, "job_fair", mode="offline", posts=300, firms=[FIRM_A])
    doubled = log(ledger, "job_fair", mode="offline", posts="40多", firms=[FIRM_B])
    first = moment()
    ledger.retract(doubled, "重复录入", actor="tester")
    second = moment()

    changes = {c["key"]: (c["before"], c["after"])
               for c in reports.difference(2020, first, second, organisation=ORG)["changes"]}
    assert changes == {
        "business.job_fair_posts": ("340 多个", "300 个"),
        "business.job_fairs_offline": ("2 场", "1 场"),
        "business.job_fair_firms": ("2 家", "1 家"),
    }
    # and back in time the retracted fair still counts
    assert figures(reports.summary(2020, ORG, as_of=first))["business.job_fairs_offline"]["value"] == "2"


# --- the documented JSON shape ------------------------------------------------------------------

FIGURE_SCHEMA = {
    "type": "object",
    "required": ["key", "label", "value", "unit", "approx", "text", "event_count", "event_digest"],
    "properties": {
        "key": {"type": "string"},
        "label": {"type": "string"},
        "value": {"type": "string"},
        "unit": {"type": "string"},
        "approx": {"enum": [None, "余", "多", "近"]},
        "text": {"type": "string"},
        "event_count": {"type": "integer", "minimum": 0},
        "event_digest": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
}
SUMMARY_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["year", "organisation", "as_of", "position", "sections"],
    "properties": {
        "year": {"type": "integer"},
        "organisation": {"type": "string"},
        "as_of": {"type": ["string", "null"]},
        "position": {"type": "integer", "minimum": 0},
        "sections": {"type": "array", "items": {"$ref": "#/$defs/section"}},
    },
    "$defs": {
        "figure": FIGURE_SCHEMA,
        "section": {
            "type": "object",
            "required": ["key", "title", "text", "figures", "subsections"],
            "properties": {
                "key": {"type": "string"},
                "title": {"type": "string"},
                "text": {"type": "string"},
                "figures": {"type": "array", "items": {"$ref": "#/$defs/figure"}},
                "subsections": {"type": "array", "items": {"$ref": "#/$defs/section"}},
            },
        },
    },
}

JSON_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _small_validator(instance: Any, schema: dict, root: dict, path: str = "$") -> list[str]:
    """The part of JSON Schema used above: $ref (local), type, enum, required, properties, items, minimum."""
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _small_validator(instance, target, root, path)
    errors: list[str] = []
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(JSON_TYPES[t](instance) for t in types):
            return [f"{path}: {instance!r} is not of type {types}"]
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{path}: {instance!r} is not one of {schema['enum']}")
    if "minimum" in schema and JSON_TYPES["number"](instance) and instance < schema["minimum"]:
        errors.append(f"{path}: {instance!r} is less than {schema['minimum']}")
    if isinstance(instance, dict):
        errors += [f"{path}: {name!r} is a required property" for name in schema.get("required", [])
                   if name not in instance]
        for name, sub in schema.get("properties", {}).items():
            if name in instance:
                errors += _small_validator(instance[name], sub, root, f"{path}.{name}")
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            errors += _small_validator(item, schema["items"], root, f"{path}[{i}]")
    return errors


def schema_errors(instance: Any, schema: dict = SUMMARY_SCHEMA) -> list[str]:
    """jsonschema's verdict when it is installed; else the small validator's."""
    try:
        import jsonschema
    except ImportError:
        return _small_validator(instance, schema, schema)
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(instance)]


def test_the_summary_json_has_the_documented_shape_now_and_as_of_a_moment(ledger, reports):
    log(ledger, "job_fair", mode="online", posts="120余", firms=[FIRM_A, FIRM_B])
    log(ledger, "epidemic_care", title="开设方舱医院", beds=300, patients_admitted="近500", firms=[FIRM_A])
    first = moment()
    log(ledger, "chamber_membership", chamber="东西湖区温州商会", members=80, party_members=9)
    log(ledger, "problem", title="服务方式还不够多")

    for summary in (reports.summary(2020, ORG), reports.summary(2020, ORG, as_of=first),
                    reports.summary(2020, ORG, as_of=2), reports.summary(2019, ORG)):
        assert schema_errors(summary) == []
    summary = reports.summary(2020, ORG, as_of=first)
    assert isinstance(summary["as_of"], str)
    assert any(f["approx"] == "近" for f in figures(summary).values())
    # as of then nothing had been noted as a problem nor planned: those sections are left out; now one is there
    assert [s["key"] for s in summary["sections"]] == ["work"]
    assert [s["key"] for s in reports.summary(2020, ORG)["sections"]] == ["work", "problems"]


def test_the_shape_check_refuses_a_summary_that_breaks_the_contract(ledger, reports):
    log(ledger, "job_fair", mode="online", posts="120余", firms=[FIRM_A])
    good = reports.summary(2020, ORG)
    assert schema_errors(good) == []

    def broken(change) -> dict:
        bad = copy.deepcopy(good)
        change(bad)
        return bad

    def first_figure(s: dict) -> dict:
        return s["sections"][0]["subsections"][0]["figures"][0]  # only the business section has work in it

    cases = [
        lambda s: first_figure(s).update(value=120),  # a number, not a string
        lambda s: first_figure(s).update(approx="大约"),
        lambda s: first_figure(s).update(event_count="1"),
        lambda s: first_figure(s).update(event_digest="not a digest"),
        lambda s: first_figure(s).pop("text"),
        lambda s: s["sections"][0]["subsections"][0].pop("figures"),
        lambda s: s["sections"][0]["subsections"][0]["subsections"].append({"key": "x", "title": "x", "text": ""}),
        lambda s: s.update(as_of=20201231),
        lambda s: s.update(year="2020"),
        lambda s: s.pop("position"),
    ]
    for i, change in enumerate(cases):
        assert schema_errors(broken(change)), i


# --- Chinese wording of numbers and money -----------------------------------------------------------

def test_figure_texts_write_money_and_counts_the_chinese_way(ledger, reports):
    log(ledger, "deal", amount="1000000000", title="与农商行签订授信协议")
    log(ledger, "donation", form="money", amount="28000000", cause="epidemic", donor_type="firm",
        title="抗疫捐款")
    log(ledger, "donation", form="money", amount="近300000", cause="poverty", donor_type="chamber",
        title="扶贫捐款")
    log(ledger, "policy_booklet", copies="1000余", title="惠企政策汇编")
    log(ledger, "livestream", views=400000, title="直播带货")

    summary = reports.summary(2020, ORG)
    got = figures(summary)
    assert (got["business.credit_signed"]["text"], got["business.credit_signed"]["value"]) == \
           ("10 亿元", "1000000000.00")
    assert got["social.epidemic_money"]["text"] == "2800 万元"
    assert (got["social.poverty_donations"]["text"], got["social.poverty_donations"]["approx"]) == \
           ("近 30 万元", "近")
    assert (got["business.booklet_copies"]["text"], got["business.booklet_copies"]["value"]) == ("1000 余册", "1000")
    assert got["chambers.livestream_views"]["text"] == "40 万人次"
    texts = {s["key"]: s["text"] for s in summary["sections"][0]["subsections"]}
    assert "10 亿元" in texts["business"] and "1000 余册" in texts["business"]
    assert "2800 万元" in texts["social"] and "近 30 万元" in texts["social"]
    assert "40 万人次" in texts["chambers"]
