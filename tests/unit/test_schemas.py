"""The schemas of every kind: good input is taken, bad input is refused by field, in Chinese and English.

The cases are generated from ``domain.catalogue.KINDS`` and ``service.schemas``: every kind, every
field of it (common fields, the firms, the idempotency key and the kind's own), and for each field
the bad values its type can meet.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.catalogue import COMMON_FIELDS, KINDS, KINDS_BY_KEY, THEMES
from domain.uscc import make_uscc
from service.schemas import (
    NULL,
    REQUIRED,
    UNKNOWN,
    USCC_MESSAGES,
    InvalidInput,
    catalogue,
    dump_action,
    load_action,
    load_changes,
    schema_for,
)
from tests.helpers import (
    ENTERPRISE_KINDS,
    FIRM,
    KIND_KEYS,
    OTHER_FIRM,
    is_bilingual,
    leaf_messages,
    valid_payload,
)

BAD_CODE = make_uscc(7)[:17] + ("0" if make_uscc(7)[17] != "0" else "1")


def bad_values(kind_key: str, name: str) -> list[tuple[str, object]]:
    """(case, value) pairs a field of this kind must refuse."""
    if name == "firms":
        return [("not-a-list", "武汉甲科技有限公司"),
                ("not-an-object", ["武汉甲科技有限公司"]),
                ("nameless", [{}]),
                ("bad-code", [{"name": "甲公司", "uscc": BAD_CODE}]),
                ("short-code", [{"name": "甲公司", "uscc": "9142011212345"}]),
                ("unknown-firm-field", [{"name": "甲公司", "phone": "027-1234"}]),
                ("long-firm-name", [{"name": "甲" * 101}]),
                ("numeric-firm-name", [{"name": 42}])]
    if name == "key":
        return [("empty", ""), ("number", 7), ("too-long", "k" * 201)]
    kind = KINDS_BY_KEY[kind_key]
    f = next(f for f in COMMON_FIELDS + kind.fields if f.name == name)
    cases: list[tuple[str, object]] = []
    if f.type == "count":
        cases += [("words", "很多"), ("negative", -1), ("fraction", 1.5), ("fraction-text", "2.5余"),
                  ("boolean", True), ("bad-marker", {"value": 5, "approx": "大约"}),
                  ("extra-key", {"value": 5, "unit": "家"}), ("list", [5]), ("too-big", 10**10)]
    elif f.type == "money":
        cases += [("words", "三十万"), ("negative", "-1"), ("three-decimals", "1.234"),
                  ("three-decimals-number", 0.125), ("boolean", False), ("bad-marker", {"value": 5, "approx": "大约"})]
    elif f.type == "integer":
        cases += [("words", "明年"), ("below-range", f.minimum - 1), ("above-range", f.maximum + 1),
                  ("fraction", 2021.5), ("boolean", True)]
    elif f.type == "date":
        cases += [("impossible", "2020-02-30"), ("slashes", "2020/05/12"), ("number", 20200512),
                  ("before-1949", "1900-01-01")]
    elif f.type == "choice":
        cases += [("unknown-choice", "no-such-choice"), ("number", 7), ("chinese-label", "线上")]
    elif f.type == "text":
        limit = 4000 if name == "notes" else 200
        cases += [("number", 42), ("too-long", "字" * (limit + 1)), ("list", ["甲"])]
        if f.required:
            cases += [("empty", ""), ("blank", "   ")]
    elif f.type == "measures":
        cases += [("not-a-list", "总投资 4.72 亿元"), ("no-number", ["总投资很多"]), ("nameless", [{"value": 5}]),
                  ("negative", [{"name": "总投资", "value": -1}]), ("bad-marker", [{"name": "项目", "value": 2,
                                                                                   "approx": "大约"}]),
                  ("extra-key", [{"name": "项目", "value": 2, "colour": "红"}]), ("boolean", [{"name": "项目",
                                                                                           "value": True}])]
    else:  # pragma: no cover - a new field type needs its bad values here
        raise AssertionError(f"no bad values for type {f.type}")
    if f.required:
        cases.append(("null", None))
    return cases


def field_names(kind_key: str) -> list[str]:
    kind = KINDS_BY_KEY[kind_key]
    return ["key", "firms"] + [f.name for f in COMMON_FIELDS + kind.fields]


# The fields every kind shares (the key, the firms, the common fields) are the same declaration in
# every kind of one aggregate (test_the_shared_fields_are_declared_alike_in_every_kind_of_an_aggregate
# holds that), so their bad values are tried once per aggregate (action, chamber, enterprise), and
# only each kind's own fields are tried kind by kind.
SHARED_FIELDS = frozenset({"key", "firms"} | {f.name for f in COMMON_FIELDS})
REPRESENTATIVES = {k.aggregate: k.key for k in reversed(KINDS)}  # the first kind of each aggregate


def checked_here(kind_key: str, name: str) -> bool:
    return name not in SHARED_FIELDS or REPRESENTATIVES[KINDS_BY_KEY[kind_key].aggregate] == kind_key


BAD_CASES = [
    pytest.param(kind_key, name, value, id=f"{kind_key}-{name}-{case}")
    for kind_key in KIND_KEYS
    for name in field_names(kind_key) if checked_here(kind_key, name)
    for case, value in bad_values(kind_key, name)
]
REQUIRED_CASES = [
    pytest.param(k.key, f.name, id=f"{k.key}-{f.name}")
    for k in KINDS for f in COMMON_FIELDS + k.fields if f.required and checked_here(k.key, f.name)
]


def test_the_shared_fields_are_declared_alike_in_every_kind_of_an_aggregate():
    """What lets the shared fields be tried once per aggregate: each kind's schema describes them
    exactly as its aggregate's first kind does (type, required, limits, choices, labels)."""
    described = {k["kind"]: {f["name"]: f for f in k["fields"]} for k in catalogue()}
    for kind in KINDS:
        model = described[REPRESENTATIVES[kind.aggregate]]
        for name in SHARED_FIELDS & set(described[kind.key]):
            assert described[kind.key][name] == model[name], (kind.key, name)
        assert SHARED_FIELDS & set(described[kind.key]) == SHARED_FIELDS & set(model), kind.key


def refusal(payload) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        load_action(payload)
    return caught.value


def assert_refused_by(error: InvalidInput, name: str) -> None:
    assert set(error.messages) == {name}, error.messages
    text = str(error)
    assert text.startswith(f"{name}:") or text.startswith(f"{name}."), text
    messages = leaf_messages(error.messages[name])
    assert messages
    for message in messages:
        assert is_bilingual(message), f"not in Chinese and English: {message!r}"


# --- good input -----------------------------------------------------------------------------------

def test_the_catalogue_has_a_schema_for_every_kind():
    assert len(KINDS) >= 18
    assert len(set(KIND_KEYS)) == len(KIND_KEYS)
    for kind in KINDS:
        schema = schema_for(kind.key)
        names = set(schema.fields)
        assert {"key", "kind", "firms"} | {f.name for f in COMMON_FIELDS} <= names
        assert {f.name for f in kind.fields} <= names
        assert kind.theme in THEMES


@pytest.mark.parametrize("kind_key", KIND_KEYS)
def test_a_full_payload_of_every_kind_is_taken_with_typed_values(kind_key):
    kind, key, values = load_action(valid_payload(kind_key, key=f"k-{kind_key}"))
    assert kind is KINDS_BY_KEY[kind_key]
    assert key == f"k-{kind_key}"
    assert "kind" not in values and "key" not in values
    assert values["occurred_on"] == date(2020, 5, 12)
    assert values["ends_on"] == date(2020, 5, 13)
    assert values["theme"] == kind.theme
    assert values["firms"] == [FIRM]
    for f in kind.fields:
        value = values[f.name]
        if f.type == "count":
            assert value == {"value": 12, "approx": None}
        elif f.type == "money":
            assert value == {"value": Decimal("280000.50"), "approx": None}
            assert isinstance(value["value"], Decimal)
        elif f.type == "integer":
            assert value == 2021
        elif f.type == "measures":
            assert value == [{"name": "总投资", "value": "4.72", "unit": "亿元", "approx": None}]
        else:
            assert isinstance(value, str) and value


@pytest.mark.parametrize("kind_key", KIND_KEYS)
def test_a_payload_with_only_the_required_fields_is_taken_with_defaults(kind_key):
    kind, key, values = load_action(valid_payload(kind_key, minimal=True))
    assert key is None
    assert values["notes"] == ""
    assert values["theme"] == kind.theme
    assert values["ends_on"] is None
    if kind.aggregate == "enterprise":
        assert values["firms"] == [FIRM]
    else:
        assert values["firms"] == []
    for f in kind.fields:
        if not f.required:
            assert values[f.name] is None


@pytest.mark.parametrize("kind_key", KIND_KEYS)
def test_a_dumped_record_loads_back_to_the_same_values(kind_key):
    kind, key, values = load_action(valid_payload(kind_key, key="round-trip"))
    dumped = dump_action(kind, key, values)
    assert dumped["kind"] == kind_key and dumped["key"] == "round-trip"
    again = load_action(dumped)
    assert again == (kind, key, values)


def test_texts_are_trimmed_and_the_theme_can_be_chosen():
    payload = valid_payload("training", organisation=f"  {FIRM['name']} ", title=" 培训 ", notes=" 备注 ",
                            theme="self")
    _kind, _key, values = load_action(payload)
    assert values["organisation"] == FIRM["name"]
    assert values["title"] == "培训"
    assert values["notes"] == "备注"
    assert values["theme"] == "self"


# --- bad input, field by field --------------------------------------------------------------------

@pytest.mark.parametrize("kind_key, name, value", BAD_CASES)
def test_a_bad_value_is_refused_with_a_message_naming_its_field(kind_key, name, value):
    payload = valid_payload(kind_key, key="k")
    payload[name] = value
    assert_refused_by(refusal(payload), name)


@pytest.mark.parametrize("kind_key, name", REQUIRED_CASES)
def test_a_missing_required_field_is_refused_by_name(kind_key, name):
    payload = valid_payload(kind_key)
    del payload[name]
    error = refusal(payload)
    assert error.messages == {name: [REQUIRED]}
    assert is_bilingual(REQUIRED)


@pytest.mark.parametrize("kind_key", KIND_KEYS)
def test_unknown_fields_are_refused(kind_key):
    error = refusal(valid_payload(kind_key, colour="红", actor="mallory"))
    assert error.messages == {"colour": [UNKNOWN], "actor": [UNKNOWN]}
    assert is_bilingual(UNKNOWN)


@pytest.mark.parametrize("kind_key", KIND_KEYS)
def test_every_error_of_a_bad_payload_is_reported_at_once(kind_key):
    payload = valid_payload(kind_key, title=42, occurred_on="昨天")
    del payload["organisation"]
    error = refusal(payload)
    assert {"title", "occurred_on", "organisation"} <= set(error.messages)


def test_an_unknown_kind_is_refused_by_name():
    error = refusal({**valid_payload("training"), "kind": "banquet"})
    assert list(error.messages) == ["kind"]
    assert "banquet" in str(error)
    assert all(is_bilingual(m) for m in leaf_messages(error.messages))


def test_a_payload_without_a_kind_is_refused():
    payload = valid_payload("training")
    del payload["kind"]
    assert list(refusal(payload).messages) == ["kind"]


@pytest.mark.parametrize("payload", [[], "training", 42, None])
def test_a_payload_that_is_not_an_object_is_refused(payload):
    error = refusal(payload)
    assert list(error.messages) == ["_schema"]
    assert all(is_bilingual(m) for m in leaf_messages(error.messages))


# --- firms and the unified social credit code ------------------------------------------------------

def test_a_firm_is_named_by_name_code_or_both_and_codes_are_upper_cased():
    firms = [{"name": " 甲公司 "}, {"uscc": make_uscc(3).lower()}, {"name": "乙公司", "uscc": f" {make_uscc(4)} "}]
    _kind, _key, values = load_action(valid_payload("job_fair", firms=firms))
    assert values["firms"] == [
        {"name": "甲公司", "uscc": None},
        {"name": None, "uscc": make_uscc(3)},
        {"name": "乙公司", "uscc": make_uscc(4)},
    ]


@pytest.mark.parametrize("code, problem", [
    (BAD_CODE, "checksum"),
    ("9142011212345", "length"),
    ("91420112MA4K0000I1", "characters"),
])
def test_a_firm_with_a_bad_code_is_refused_with_the_problem(code, problem):
    error = refusal(valid_payload("job_fair", firms=[dict(FIRM), {"name": "乙公司", "uscc": code}]))
    assert error.messages == {"firms": {1: {"uscc": [USCC_MESSAGES[problem]]}}}
    assert "firms.1.uscc:" in str(error)


def test_a_firm_with_neither_name_nor_code_is_refused():
    error = refusal(valid_payload("job_fair", firms=[{"name": "  ", "uscc": ""}]))
    assert list(error.messages["firms"][0]) == ["name"]


@pytest.mark.parametrize("kind_key", ENTERPRISE_KINDS)
@pytest.mark.parametrize("firms", [[], [FIRM, OTHER_FIRM]], ids=["no-firm", "two-firms"])
def test_a_fact_about_an_enterprise_needs_exactly_one_firm(kind_key, firms):
    error = refusal(valid_payload(kind_key, firms=firms))
    assert_refused_by(error, "firms")


@pytest.mark.parametrize("kind_key", ENTERPRISE_KINDS)
def test_a_fact_about_an_enterprise_without_firms_is_refused(kind_key):
    payload = valid_payload(kind_key)
    del payload["firms"]
    assert_refused_by(refusal(payload), "firms")


# --- measures --------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    (1000, {"value": 1000, "approx": None}),
    ("1000", {"value": 1000, "approx": None}),
    ("1000余", {"value": 1000, "approx": "余"}),
    (" 20 多 ", {"value": 20, "approx": "多"}),
    ("近30", {"value": 30, "approx": "近"}),
    ({"value": 40, "approx": "余"}, {"value": 40, "approx": "余"}),
    ({"value": "40"}, {"value": 40, "approx": None}),
    ({"value": 40, "approx": None}, {"value": 40, "approx": None}),
    (0, {"value": 0, "approx": None}),
    (12.0, {"value": 12, "approx": None}),
])
def test_a_count_takes_numbers_and_the_chinese_approximations(raw, expected):
    _kind, _key, values = load_action(valid_payload("policy_booklet", copies=raw))
    assert values["copies"] == expected
    assert type(values["copies"]["value"]) is int


@pytest.mark.parametrize("raw, expected", [
    ("300000", {"value": Decimal("300000.00"), "approx": None}),
    ("近300000", {"value": Decimal("300000.00"), "approx": "近"}),
    (28000000, {"value": Decimal("28000000.00"), "approx": None}),
    ("1.5", {"value": Decimal("1.50"), "approx": None}),
    (0.1, {"value": Decimal("0.10"), "approx": None}),
    ({"value": "1000000000", "approx": "余"}, {"value": Decimal("1000000000.00"), "approx": "余"}),
])
def test_money_is_taken_as_yuan_with_two_decimals(raw, expected):
    _kind, _key, values = load_action(valid_payload("deal", amount=raw))
    assert values["amount"] == expected
    assert values["amount"]["value"].as_tuple().exponent == -2


@pytest.mark.parametrize("raw, message", [
    ("1.234", "两位小数"),
    (-1, "范围"),
    (-0.01, "范围"),
    ("30万", "数字"),
    ("大约300", "数字"),
    ("1e20", "数字"),
    (float("nan"), "数字"),
])
def test_bad_money_is_refused_with_the_reason(raw, message):
    error = refusal(valid_payload("deal", amount=raw))
    assert list(error.messages) == ["amount"]
    assert message in str(error)


@pytest.mark.parametrize("raw, message", [
    (-1, "out of range"),
    ("-5", "must be a number"),
    (1.5, "whole number"),
    ("2.5", "whole number"),
    ("1000余人", "must be a number"),
    ("余1000", "must be a number"),
    (True, "must be a number"),
    ({"approx": "余"}, "must be a number"),
    ({"value": 5, "approx": "大约"}, "must be 余, 多, 近, 约, 以上 or 左右"),
])
def test_bad_counts_are_refused_with_the_reason(raw, message):
    error = refusal(valid_payload("job_fair", posts=raw))
    assert list(error.messages) == ["posts"]
    assert message in str(error)


def test_a_target_quantity_must_be_exact():
    error = refusal(valid_payload("target", quantity="2余"))
    assert list(error.messages) == ["quantity"]
    _kind, _key, values = load_action(valid_payload("target", quantity="2"))
    assert values["quantity"] == {"value": 2, "approx": None}


# --- dates -----------------------------------------------------------------------------------------

def test_an_end_date_before_the_start_is_refused_naming_ends_on():
    error = refusal(valid_payload("training", occurred_on="2020-05-12", ends_on="2020-05-11"))
    assert_refused_by(error, "ends_on")


def test_an_end_date_on_the_start_day_is_taken():
    _kind, _key, values = load_action(valid_payload("training", occurred_on="2020-05-12", ends_on="2020-05-12"))
    assert values["ends_on"] == values["occurred_on"] == date(2020, 5, 12)


@pytest.mark.parametrize("day", ["1949-10-01", "2100-12-31"])
def test_the_date_range_includes_its_bounds(day):
    _kind, _key, values = load_action(valid_payload("training", occurred_on=day, ends_on=None))
    assert values["occurred_on"] == date.fromisoformat(day)


@pytest.mark.parametrize("day", ["1949-09-30", "2101-01-01"])
def test_dates_outside_the_range_are_refused(day):
    assert_refused_by(refusal(valid_payload("training", occurred_on=day, ends_on=None)), "occurred_on")


# --- corrections ---------------------------------------------------------------------------------

def test_a_correction_keeps_only_the_fields_sent():
    changes = load_changes(KINDS_BY_KEY["job_fair"], {"posts": "9048", "title": "线上招聘会"})
    assert changes == {"posts": {"value": 9048, "approx": None}, "title": "线上招聘会"}


@pytest.mark.parametrize("payload", [{}, None, [], "posts=9048"])
def test_a_correction_without_changes_is_refused(payload):
    with pytest.raises(InvalidInput) as caught:
        load_changes(KINDS_BY_KEY["job_fair"], payload)
    assert list(caught.value.messages) == ["changes"]
    assert all(is_bilingual(m) for m in leaf_messages(caught.value.messages))


@pytest.mark.parametrize("kind_key, name, value", [
    p for p in BAD_CASES if p.values[1] not in ("key",) and not p.id.endswith(("-empty", "-blank", "-null"))
][::7])
def test_a_correction_with_a_bad_value_is_refused_naming_the_field(kind_key, name, value):
    with pytest.raises(InvalidInput) as caught:
        load_changes(KINDS_BY_KEY[kind_key], {name: value})
    assert name in caught.value.messages


def test_a_correction_may_not_empty_a_required_field():
    with pytest.raises(InvalidInput) as caught:
        load_changes(KINDS_BY_KEY["job_fair"], {"mode": None})
    assert caught.value.messages == {"mode": [NULL]}


def test_a_correction_naming_an_unknown_field_is_refused():
    with pytest.raises(InvalidInput) as caught:
        load_changes(KINDS_BY_KEY["job_fair"], {"copies": 5})
    assert caught.value.messages == {"copies": [UNKNOWN]}


# --- the catalogue as the schemas describe it ------------------------------------------------------

def test_the_catalogue_describes_every_field_in_both_languages():
    cat = catalogue()
    assert [k["kind"] for k in cat] == KIND_KEYS
    for k in cat:
        assert k["zh"] and k["en"] and k["theme_zh"] and k["theme_en"]
        for fld in k["fields"]:
            assert fld["zh"] and fld["en"], (k["kind"], fld["name"])
            if fld["type"] in ("count", "money"):
                assert fld["approx_markers"] == ["余", "多", "近", "约", "以上", "左右"]
            if fld["type"] == "choice":
                assert fld["choices"], (k["kind"], fld["name"])
                for label in fld["choices"].values():
                    assert label["zh"] and label["en"]


@pytest.mark.parametrize("raw", [2021, "2021", 2021.0])
def test_a_year_may_come_as_a_number_or_as_text(raw):
    _kind, _key, values = load_action(valid_payload("target", for_year=raw))
    assert values["for_year"] == 2021
    assert type(values["for_year"]) is int


@pytest.mark.parametrize("raw", [2021.5, "2021.5", float("inf")])
def test_a_year_is_never_rounded_from_a_fraction(raw):
    assert_refused_by(refusal(valid_payload("target", for_year=raw)), "for_year")
