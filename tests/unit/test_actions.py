"""The aggregates and their invariants: Action, Chamber, Enterprise and Entry, without any store."""
from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.utils import resolve_topic

from domain.actions import ACTION_EVENTS, COMMON_NAMES, Action
from domain.catalogue import KINDS, kind
from domain.errors import InvalidChange, RecordNotFound, RecordRetracted
from domain.subjects import SUBJECT_CLASSES, Chamber, Enterprise, Entry
from tests.helpers import ACTION_KINDS, CHAMBER_KINDS, ENTERPRISE_KINDS, FIRM, ORG

DAY = date(2020, 5, 12)


def common(**overrides) -> dict:
    values = {"occurred_on": DAY, "ends_on": None, "title": "线上招聘会", "notes": "", "theme": "business",
              "firms": [dict(FIRM)]}
    values.update(overrides)
    return values


def job_fair(**facts) -> Action:
    facts = facts or {"mode": "online", "posts": {"value": 1000, "approx": "余"}}
    return Action.log(kind("job_fair"), id=uuid4(), actor="alice", key="fair-1", organisation=ORG,
                      facts=facts, **common())


def replay(events) -> Aggregate:
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def chamber_with_membership() -> tuple[Chamber, UUID]:
    chamber = Chamber._create(Chamber.Registered, id=uuid4(), organisation=ORG, name="湖北商会", actor="alice")
    fact_id = uuid4()
    chamber.state(kind("chamber_membership"), fact_id=fact_id, actor="alice", key="m-2020",
                  facts={"chamber": "湖北商会", "members": {"value": 97, "approx": None}},
                  **common(title="2020 年会员", theme="chambers", firms=[], occurred_on=date(2020, 12, 31)))
    return chamber, fact_id


def enterprise_in_pool() -> tuple[Enterprise, UUID]:
    firm = Enterprise._create(Enterprise.Registered, id=uuid4(), organisation=ORG, name=FIRM["name"],
                              uscc=FIRM["uscc"], actor="alice")
    fact_id = uuid4()
    firm.state(kind("reserve_pool"), fact_id=fact_id, actor="alice", key="pool-1", facts={"pool": "gold"},
               **common(title="入选金种子", firms=[dict(FIRM)]))
    return firm, fact_id


# --- the event classes -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind_key", ACTION_KINDS)
def test_every_kind_of_action_has_its_own_creating_event(kind_key):
    k = kind(kind_key)
    event_class = getattr(Action, k.event)
    assert issubclass(event_class, Action.Logged)
    assert event_class.__name__ == k.event
    assert event_class.TOPIC == f"taizhang:{k.event}"
    assert ACTION_EVENTS[k.event] is event_class


@pytest.mark.parametrize("kind_key", CHAMBER_KINDS + ENTERPRISE_KINDS)
def test_every_kind_of_fact_has_its_event_on_its_subject(kind_key):
    k = kind(kind_key)
    subject = SUBJECT_CLASSES[k.aggregate]
    event_class = getattr(subject, k.event)
    assert issubclass(event_class, subject.FactStated)
    assert event_class.TOPIC == f"taizhang:{k.event}"
    assert k.event not in ACTION_EVENTS


def test_every_kind_lives_in_a_known_aggregate():
    assert {k.aggregate for k in KINDS} <= {"action", "chamber", "enterprise"}
    assert set(ACTION_EVENTS) == {k.event for k in KINDS if k.aggregate == "action"}


def _event_classes():
    for holder in (Action, Chamber, Enterprise, Entry):
        yield holder
        for value in vars(holder).values():
            if isinstance(value, type) and issubclass(value, Aggregate.Event):
                yield value


def test_every_stored_class_names_its_own_topic_and_the_topic_resolves_to_it():
    topics = {}
    for cls in _event_classes():
        if cls.__name__ == "Event":
            continue  # the base of an aggregate's events: never stored, not registered by eventsourcing
        if "TOPIC" not in vars(cls):
            # eventsourcing defines an unused ``Created`` of its own; nothing else may lack a topic.
            assert cls.__name__ == "Created", f"{cls.__qualname__} has no TOPIC of its own"
            continue
        assert cls.TOPIC.startswith("taizhang:")
        assert cls.TOPIC not in topics, f"{cls.__qualname__} and {topics.get(cls.TOPIC)} share {cls.TOPIC}"
        topics[cls.TOPIC] = cls.__qualname__
        assert resolve_topic(cls.TOPIC) is cls


def test_every_event_of_a_use_case_carries_its_actor():
    action = job_fair()
    action.correct({"title": "招聘会"}, "改标题", "bob")
    action.retract("重复录入", "carol")
    assert [e.actor for e in action.collect_events()] == ["alice", "bob", "carol"]


# --- an action ------------------------------------------------------------------------------------

def test_a_logged_action_knows_its_kind_values_and_who_logged_it():
    action = job_fair()
    assert action.version == 1
    assert action.kind is kind("job_fair")
    assert action.kind_event == "JobFairHeld"
    assert action.logged_by == "alice"
    assert action.retracted is False and action.retraction_reason is None
    fields = action.fields()
    assert set(COMMON_NAMES) <= set(fields)
    assert fields["organisation"] == ORG
    assert fields["posts"] == {"value": 1000, "approx": "余"}
    assert fields["firms"] == [FIRM]


def test_an_action_is_rebuilt_from_its_events():
    action = job_fair()
    action.correct({"posts": {"value": 9048, "approx": None}, "title": "招聘会（更正）"}, "录入错误", "bob")
    action.retract("重复", "carol")
    events = action.collect_events()
    rebuilt = replay(events)
    assert rebuilt.id == action.id
    assert rebuilt.version == 3
    assert rebuilt.fields() == action.fields()
    assert rebuilt.retracted and rebuilt.retraction_reason == "重复"
    assert rebuilt.logged_by == "alice"


def test_a_correction_records_only_what_really_changes_with_its_reason_and_actor():
    action = job_fair()
    action.correct({"posts": {"value": 9048, "approx": None}, "mode": "online"}, "  录入错误 ", "bob")
    corrected = action.collect_events()[-1]
    assert isinstance(corrected, Action.Corrected)
    assert corrected.changes == {"posts": {"value": 9048, "approx": None}}
    assert corrected.reason == "录入错误"
    assert corrected.actor == "bob"
    assert action.version == 2
    assert action.fields()["posts"] == {"value": 9048, "approx": None}
    assert action.fields()["mode"] == "online"


def test_a_correction_to_none_removes_a_kind_field_and_sets_a_common_one():
    action = Action.log(kind("job_fair"), id=uuid4(), actor="alice", key="k", organisation=ORG,
                        facts={"mode": "online", "posts": {"value": 5, "approx": None}},
                        **common(ends_on=date(2020, 5, 13)))
    action.correct({"posts": None, "ends_on": None}, "填错", "bob")
    assert "posts" not in action.facts
    assert action.ends_on is None
    assert action.fields()["mode"] == "online"


def test_a_correction_of_common_fields_changes_them():
    action = job_fair()
    action.correct({"title": "线下招聘会", "occurred_on": date(2020, 5, 11), "organisation": "区人社局"},
                   "更正", "bob")
    assert (action.title, action.occurred_on, action.organisation) == ("线下招聘会", date(2020, 5, 11), "区人社局")


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_correction_without_a_reason_is_refused(reason):
    action = job_fair()
    with pytest.raises(InvalidChange, match="reason"):
        action.correct({"title": "新标题"}, reason, "bob")
    assert action.version == 1
    assert action.title == "线上招聘会"


def test_a_correction_that_changes_nothing_is_refused():
    action = job_fair()
    with pytest.raises(InvalidChange, match="changes nothing"):
        action.correct({"title": "线上招聘会", "mode": "online"}, "没变", "bob")
    assert action.version == 1


def test_a_correction_naming_a_field_of_another_kind_is_refused():
    action = job_fair()
    with pytest.raises(InvalidChange, match="copies"):
        action.correct({"copies": {"value": 3, "approx": None}}, "错类型", "bob")
    assert "copies" not in action.facts


def test_a_correction_that_ends_an_action_before_it_starts_is_refused():
    action = job_fair()
    with pytest.raises(InvalidChange):
        action.correct({"ends_on": date(2020, 5, 1)}, "补录", "bob")
    assert action.ends_on is None
    with pytest.raises(InvalidChange):
        action.correct({"occurred_on": date(2020, 6, 1), "ends_on": date(2020, 5, 30)}, "补录", "bob")
    action.correct({"ends_on": date(2020, 5, 14)}, "补录", "bob")
    with pytest.raises(InvalidChange):
        action.correct({"occurred_on": date(2020, 5, 15)}, "改日期", "bob")
    assert action.occurred_on == DAY


def test_a_correction_of_a_retracted_action_is_refused():
    action = job_fair()
    action.retract("重复录入", "bob")
    with pytest.raises(RecordRetracted):
        action.correct({"title": "新标题"}, "更正", "carol")
    assert action.version == 2
    assert action.title == "线上招聘会"


def test_a_retracted_action_cannot_be_retracted_again():
    action = job_fair()
    action.retract("重复录入", "bob")
    with pytest.raises(RecordRetracted):
        action.retract("再次撤销", "carol")
    assert action.retraction_reason == "重复录入"


@pytest.mark.parametrize("reason", ["", "  "])
def test_a_retraction_without_a_reason_is_refused(reason):
    action = job_fair()
    with pytest.raises(InvalidChange):
        action.retract(reason, "bob")
    assert not action.retracted


# --- chambers and enterprises ----------------------------------------------------------------------

def test_a_fact_about_a_chamber_is_held_by_the_chamber_and_shaped_like_an_action():
    chamber, fact_id = chamber_with_membership()
    fact = chamber.fact(fact_id)
    assert chamber.version == 2
    assert fact.kind is kind("chamber_membership")
    assert fact.organisation == ORG
    assert fact.key == "m-2020"
    assert fact.logged_by == "alice"
    assert fact.fields()["members"] == {"value": 97, "approx": None}
    assert fact.fields()["chamber"] == "湖北商会"


def test_a_chamber_is_rebuilt_from_its_events_with_every_fact():
    chamber, fact_id = chamber_with_membership()
    second = uuid4()
    chamber.state(kind("chamber_election"), fact_id=second, actor="bob", key="e-2020",
                  facts={"chamber": "湖北商会"}, **common(title="换届", theme="chambers", firms=[]))
    chamber.correct_fact(fact_id, {"members": {"value": 98, "approx": None}}, "漏计一家", "carol")
    chamber.retract_fact(second, "不是今年", "carol")
    rebuilt = replay(chamber.collect_events())
    assert rebuilt.version == 5
    assert rebuilt.fact(fact_id).fields() == chamber.fact(fact_id).fields()
    assert rebuilt.fact(fact_id).fields()["members"]["value"] == 98
    assert rebuilt.fact(second).retracted and not rebuilt.fact(fact_id).retracted


def test_a_correction_of_a_chamber_fact_changes_only_that_fact():
    chamber, fact_id = chamber_with_membership()
    other = uuid4()
    chamber.state(kind("chamber_membership"), fact_id=other, actor="alice", key="m-2019",
                  facts={"chamber": "湖北商会", "members": {"value": 90, "approx": None}},
                  **common(title="2019 年会员", theme="chambers", firms=[], occurred_on=date(2019, 12, 31)))
    chamber.correct_fact(fact_id, {"members": {"value": 98, "approx": None}}, "漏计", "bob")
    assert chamber.fact(fact_id).fields()["members"]["value"] == 98
    assert chamber.fact(other).fields()["members"]["value"] == 90


@pytest.mark.parametrize("changes", [{"chamber": "湖南商会"}, {"organisation": "别的工商联"}])
def test_a_correction_cannot_move_a_fact_to_another_chamber(changes):
    chamber, fact_id = chamber_with_membership()
    with pytest.raises(InvalidChange, match="another chamber"):
        chamber.correct_fact(fact_id, changes, "改名", "bob")
    assert chamber.fact(fact_id).fields()["chamber"] == "湖北商会"
    assert chamber.version == 2


def test_a_correction_cannot_move_a_fact_to_another_enterprise():
    firm, fact_id = enterprise_in_pool()
    with pytest.raises(InvalidChange, match="another enterprise"):
        firm.correct_fact(fact_id, {"firms": [{"name": "别的公司", "uscc": None}]}, "改企业", "bob")
    firm.correct_fact(fact_id, {"pool": "silver"}, "改为银种子", "bob")
    assert firm.fact(fact_id).fields()["pool"] == "silver"


def test_a_retracted_fact_cannot_be_corrected_or_retracted_again():
    chamber, fact_id = chamber_with_membership()
    chamber.retract_fact(fact_id, "重复", "bob")
    with pytest.raises(RecordRetracted):
        chamber.correct_fact(fact_id, {"members": {"value": 1, "approx": None}}, "更正", "carol")
    with pytest.raises(RecordRetracted):
        chamber.retract_fact(fact_id, "再撤", "carol")
    assert chamber.version == 3


def test_a_fact_correction_needs_a_reason_and_a_real_change():
    chamber, fact_id = chamber_with_membership()
    with pytest.raises(InvalidChange):
        chamber.correct_fact(fact_id, {"members": {"value": 98, "approx": None}}, " ", "bob")
    with pytest.raises(InvalidChange):
        chamber.correct_fact(fact_id, {"members": {"value": 97, "approx": None}}, "没变", "bob")
    with pytest.raises(InvalidChange):
        chamber.correct_fact(fact_id, {"ends_on": date(2020, 1, 1)}, "结束早于开始", "bob")
    assert chamber.version == 2


def test_an_unknown_fact_is_not_found():
    chamber, _fact_id = chamber_with_membership()
    missing = uuid4()
    with pytest.raises(RecordNotFound):
        chamber.fact(missing)
    with pytest.raises(RecordNotFound):
        chamber.correct_fact(missing, {"members": {"value": 1, "approx": None}}, "更正", "bob")
    with pytest.raises(RecordNotFound):
        chamber.retract_fact(missing, "撤销", "bob")


@pytest.mark.parametrize("kind_key", ["job_fair", "reserve_pool"])
def test_a_chamber_refuses_a_fact_of_another_aggregate(kind_key):
    chamber, _ = chamber_with_membership()
    with pytest.raises(InvalidChange, match="not a fact about a chamber"):
        chamber.state(kind(kind_key), fact_id=uuid4(), actor="bob", key="x", facts={},
                      **common(firms=[dict(FIRM)]))
    assert chamber.version == 2


def test_an_enterprise_refuses_a_fact_about_a_chamber():
    firm, _ = enterprise_in_pool()
    with pytest.raises(InvalidChange, match="not a fact about a enterprise"):
        firm.state(kind("chamber_founded"), fact_id=uuid4(), actor="bob", key="x",
                   facts={"chamber": "湖北商会"}, **common())


def test_an_entry_points_at_the_subject_holding_the_fact():
    firm, fact_id = enterprise_in_pool()
    entry = Entry._create(Entry.Made, id=fact_id, owner_id=firm.id, kind_event="EnterpriseReserved")
    rebuilt = replay(entry.collect_events())
    assert rebuilt.id == fact_id
    assert rebuilt.owner_id == firm.id
    assert rebuilt.kind_event == "EnterpriseReserved"
    assert firm.uscc == FIRM["uscc"]
