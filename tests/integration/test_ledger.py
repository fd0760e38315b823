"""The Ledger application on an SQLite file: log, idempotency, corrections, conflicts, facts, history."""
from __future__ import annotations

import json
import threading
from datetime import date, datetime
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from domain.errors import (
    ConflictError,
    InvalidChange,
    KeyReused,
    RecordNotFound,
    RecordRetracted,
)
from service.ledger import ImportRefused, Ledger, Logged, record_id_for
from service.schemas import InvalidInput
from tests.helpers import FIRM, KIND_KEYS, ORG, OTHER_FIRM, open_ledger, valid_payload


def job_fair(key: str | None = "fair-2020-05", **overrides) -> dict:
    return valid_payload("job_fair", key=key, **{"mode": "online", "posts": "1000余", "title": "线上招聘会",
                                                  **overrides})


def membership(key: str = "members-2020", chamber: str = "湖北商会", members=90) -> dict:
    return valid_payload("chamber_membership", key=key, chamber=chamber, members=members,
                         party_members=12, occurred_on="2020-12-31", ends_on=None, title="会员统计")


def stored_events(app: Ledger) -> list:
    return list(app.recorder.select_notifications(start=1, limit=10_000))


# --- logging ---------------------------------------------------------------------------------------

def test_logging_an_action_returns_its_id_and_stores_it(ledger):
    result = ledger.log(job_fair(), actor="alice")
    assert isinstance(result, Logged)
    assert result.created is True
    assert result.id == record_id_for("fair-2020-05")
    record = ledger.get(result.id)
    assert record["id"] == str(result.id)
    assert record["kind"] == "job_fair" and record["event"] == "JobFairHeld"
    assert record["version"] == 1
    assert record["logged_by"] == "alice"
    assert record["retracted"] is False
    assert record["posts"] == {"value": 1000, "approx": "余"}
    assert record["firms"] == [FIRM]
    assert record["organisation"] == ORG
    assert record["occurred_on"] == "2020-05-12"


@pytest.mark.parametrize("kind_key", KIND_KEYS)
def test_every_kind_can_be_logged_and_read_back_as_it_was_given(ledger, kind_key):
    payload = valid_payload(kind_key, key=f"every-{kind_key}")
    result = ledger.log(payload, actor="alice")
    record = ledger.get(result.id)
    assert record["kind"] == kind_key
    for name, value in payload.items():
        if name in ("kind", "key"):
            assert record[name] == value
        elif isinstance(value, int) and not isinstance(value, bool) and name != "for_year":
            assert record[name] == {"value": value, "approx": None}, name
        elif name == "amount":
            assert record[name] == {"value": value, "approx": None}, name
        else:
            assert record[name] == value, name


def test_logging_without_a_key_makes_a_new_record_each_time(ledger):
    first = ledger.log(job_fair(key=None))
    second = ledger.log(job_fair(key=None))
    assert first.created and second.created
    assert first.id != second.id
    assert len(list(ledger.export_lines())) == 2


def test_the_same_key_twice_gives_the_same_id_and_stores_one_record(ledger):
    first = ledger.log(job_fair(), actor="alice")
    second = ledger.log(job_fair(), actor="bob")  # a retry of the same content
    assert second.id == first.id
    assert (first.created, second.created) == (True, False)
    assert len(stored_events(ledger)) == 1
    with pytest.raises(KeyReused):  # the same key with other content: refused, never silently dropped
        ledger.log(job_fair(title="再次提交"), actor="bob")
    assert len(stored_events(ledger)) == 1
    record = ledger.get(first.id)
    assert record["title"] == "线上招聘会"
    assert record["logged_by"] == "alice"


def test_an_invalid_payload_stores_nothing(ledger):
    with pytest.raises(InvalidInput) as caught:
        ledger.log(job_fair(mode="by pigeon"))
    assert "mode" in caught.value.messages
    assert stored_events(ledger) == []


def test_the_actor_defaults_to_the_environment(ledger, monkeypatch):
    monkeypatch.setenv("TAIZHANG_ACTOR", "王科长")
    result = ledger.log(job_fair())
    assert ledger.get(result.id)["logged_by"] == "王科长"


def test_records_survive_reopening_the_store(tmp_path, sqlite_only):
    app = open_ledger(tmp_path)
    rid = app.log(job_fair(), actor="alice").id
    app.correct(rid, {"posts": 9048}, "录入错误", actor="bob")
    app.close()
    again = open_ledger(tmp_path)
    try:
        record = again.get(rid)
        assert record["posts"] == {"value": 9048, "approx": None}
        assert record["version"] == 2
    finally:
        again.close()


# --- corrections and retractions ------------------------------------------------------------------

def test_a_correction_changes_the_record_and_answers_its_new_version(ledger):
    rid = ledger.log(job_fair(), actor="alice").id
    version = ledger.correct(rid, {"posts": "9048", "seekers_matched": 597}, "录入错误", actor="bob")
    assert version == 2
    record = ledger.get(rid)
    assert record["version"] == 2
    assert record["posts"] == {"value": 9048, "approx": None}
    assert record["seekers_matched"] == {"value": 597, "approx": None}
    assert record["logged_by"] == "alice"


def test_two_corrections_of_the_same_version_keep_the_first_and_refuse_the_second(ledger):
    rid = ledger.log(job_fair()).id
    assert ledger.correct(rid, {"posts": 9048}, "录入错误", actor="alice", expected_version=1) == 2
    with pytest.raises(ConflictError) as caught:
        ledger.correct(rid, {"posts": 8000}, "另一处更正", actor="bob", expected_version=1)
    assert (caught.value.expected_version, caught.value.actual_version) == (1, 2)
    record = ledger.get(rid)
    assert record["posts"]["value"] == 9048
    assert record["version"] == 2
    assert [item["actor"] for item in ledger.history(rid)][1:] == ["alice"]


def test_a_retraction_of_a_stale_version_is_refused(ledger):
    rid = ledger.log(job_fair()).id
    ledger.correct(rid, {"posts": 9048}, "录入错误")
    with pytest.raises(ConflictError):
        ledger.retract(rid, "重复", expected_version=1)
    assert ledger.get(rid)["retracted"] is False


def _race(apps: list[Ledger], work) -> list:
    """Run ``work(app, i)`` on every app at once; answers each result or exception."""
    barrier = threading.Barrier(len(apps))
    results: list = [None] * len(apps)

    def run(i: int, app: Ledger) -> None:
        barrier.wait()
        try:
            results[i] = work(app, i)
        except Exception as exc:  # noqa: BLE001 - the caller inspects it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, app)) for i, app in enumerate(apps)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture
def two_ledgers(tmp_path, sqlite_only):
    apps = [open_ledger(tmp_path), open_ledger(tmp_path)]
    yield apps
    for app in apps:
        app.close()


def _assert_one_won(apps: list[Ledger], rid: UUID, results: list) -> None:
    winners = [i for i, r in enumerate(results) if r == 2]
    losers = [r for r in results if isinstance(r, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1, results
    (winner,) = winners
    for app in apps:
        record = app.get(rid)
        assert record["posts"] == {"value": 100 + winner, "approx": None}
        assert record["version"] == 2
    story = apps[0].history(rid)
    assert [item["event"] for item in story] == ["JobFairHeld", "Corrected"]
    assert story[1]["actor"] == f"clerk{winner}"


def test_concurrent_corrections_of_the_same_version_from_two_ledgers_let_exactly_one_win(two_ledgers):
    for round_ in range(5):
        rid = two_ledgers[0].log(job_fair(key=f"race-{round_}")).id
        results = _race(two_ledgers, lambda app, i: app.correct(
            rid, {"posts": 100 + i}, f"更正 {i}", actor=f"clerk{i}", expected_version=1))
        _assert_one_won(two_ledgers, rid, results)


def test_two_ledgers_that_read_the_same_version_cannot_both_save(two_ledgers):
    # Both clerks read version 1 before either saves (no expected version given): the store decides.
    rid = two_ledgers[0].log(job_fair(key="race")).id
    both_read = threading.Barrier(2)
    for app in two_ledgers:
        original = app._holder

        def holder_then_wait(record_id, _original=original):
            found = _original(record_id)
            both_read.wait(timeout=10)
            return found

        app._holder = holder_then_wait  # on the instance only; deleted below
    results = _race(two_ledgers, lambda app, i: app.correct(rid, {"posts": 100 + i}, f"更正 {i}",
                                                             actor=f"clerk{i}"))
    for app in two_ledgers:
        del app._holder
    _assert_one_won(two_ledgers, rid, results)
    assert results[0 if isinstance(results[0], ConflictError) else 1].actual_version == 2


def test_concurrent_logging_from_two_ledgers_loses_nothing(two_ledgers):
    def log_many(app: Ledger, i: int) -> list[UUID]:
        return [app.log(job_fair(key=f"clerk{i}-{n}")).id for n in range(25)]

    results = _race(two_ledgers, log_many)
    assert all(isinstance(r, list) for r in results), results
    lines = list(two_ledgers[0].export_lines())
    assert len(lines) == 50
    assert {json.loads(line)["key"] for line in lines} == {f"clerk{i}-{n}" for i in (0, 1) for n in range(25)}


def test_concurrent_facts_about_the_same_chamber_are_all_kept(two_ledgers):
    def state_many(app: Ledger, i: int) -> list[UUID]:
        return [app.log(membership(key=f"m-{i}-{n}", members=10 * i + n)).id for n in range(8)]

    results = _race(two_ledgers, state_many)
    assert all(isinstance(r, list) for r in results), results
    ids = [rid for r in results for rid in r]
    assert len(set(ids)) == 16
    records = [two_ledgers[1].get(rid) for rid in ids]
    assert {r["members"]["value"] for r in records} == {10 * i + n for i in (0, 1) for n in range(8)}
    assert {r["version"] for r in records} == {1}  # each fact's own version, logged once
    chamber = two_ledgers[1].repository.get(two_ledgers[1].repository.get(ids[0]).owner_id)
    assert chamber.version == 17  # the one chamber underneath: registered, then 16 facts


def test_a_correction_of_a_retracted_action_is_refused(ledger):
    rid = ledger.log(job_fair()).id
    assert ledger.retract(rid, "重复录入", actor="bob") == 2
    with pytest.raises(RecordRetracted):
        ledger.correct(rid, {"posts": 9048}, "更正", actor="carol")
    with pytest.raises(RecordRetracted):
        ledger.retract(rid, "再次撤销", actor="carol")
    record = ledger.get(rid)
    assert record["retracted"] is True
    assert record["retraction_reason"] == "重复录入"
    assert record["version"] == 2
    assert list(ledger.export_lines()) == []


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_without_a_reason_is_refused_and_writes_nothing(ledger, reason):
    rid = ledger.log(job_fair()).id
    with pytest.raises(InvalidChange, match="reason"):
        ledger.correct(rid, {"posts": 9048}, reason)
    with pytest.raises(InvalidChange, match="reason"):
        ledger.retract(rid, reason)
    assert ledger.get(rid)["version"] == 1
    assert len(stored_events(ledger)) == 1


@pytest.mark.parametrize("changes", [
    {"posts": "1000余"},
    {"posts": {"value": 1000, "approx": "余"}},
    {"mode": "online", "title": "线上招聘会"},
    {"title": "  线上招聘会 "},
    {"ends_on": "2020-05-13", "occurred_on": "2020-05-12"},
])
def test_a_correction_that_changes_nothing_is_refused(ledger, changes):
    rid = ledger.log(job_fair()).id
    with pytest.raises(InvalidChange, match="changes nothing"):
        ledger.correct(rid, changes, "看错了")
    assert ledger.get(rid)["version"] == 1


@pytest.mark.parametrize("changes, field", [
    ({"posts": -3}, "posts"),
    ({"copies": 5}, "copies"),
    ({"mode": None}, "mode"),
    ({"title": "   "}, "title"),
    ({"ends_on": "2020-05-01"}, None),
])
def test_a_bad_correction_is_refused_and_writes_nothing(ledger, changes, field):
    rid = ledger.log(job_fair()).id
    with pytest.raises((InvalidInput, InvalidChange)) as caught:
        ledger.correct(rid, changes, "更正")
    if field:
        assert field in caught.value.messages
    assert ledger.get(rid)["version"] == 1
    assert len(stored_events(ledger)) == 1


def test_a_correction_is_normalised_like_a_new_record(ledger):
    rid = ledger.log(job_fair(notes="备注")).id
    ledger.correct(rid, {"title": "  线下招聘会  ", "notes": None, "theme": None}, "整理")
    record = ledger.get(rid)
    assert record["title"] == "线下招聘会"
    assert record["notes"] == ""
    assert record["theme"] == "business"
    line = json.loads(next(ledger.export_lines()))
    assert (line["title"], line["notes"], line["theme"]) == ("线下招聘会", "", "business")


@pytest.mark.parametrize("use", ["get", "history", "correct", "retract"])
def test_an_unknown_record_is_not_found(ledger, use):
    missing = uuid4()
    calls = {"get": lambda: ledger.get(missing), "history": lambda: ledger.history(missing),
             "correct": lambda: ledger.correct(missing, {"title": "x"}, "更正"),
             "retract": lambda: ledger.retract(missing, "撤销")}
    with pytest.raises(RecordNotFound) as caught:
        calls[use]()
    assert caught.value.record_id == missing


def test_the_id_of_a_chamber_or_enterprise_is_not_a_record(ledger):
    ledger.log(membership())
    chamber_id = next(e.originator_id for _p, e in ledger.iter_events() if type(e).__name__ == "Registered")
    with pytest.raises(RecordNotFound):
        ledger.get(chamber_id)


# --- facts about chambers and enterprises ----------------------------------------------------------

def test_a_chamber_membership_is_logged_corrected_retracted_and_kept_in_its_history(ledger):
    logged = ledger.log(membership(), actor="alice")
    assert logged.created and logged.id == record_id_for("members-2020")
    record = ledger.get(logged.id)
    assert record["kind"] == "chamber_membership"
    assert record["chamber"] == "湖北商会"
    assert record["members"] == {"value": 90, "approx": None}
    assert record["organisation"] == ORG
    assert record["logged_by"] == "alice"
    assert record["version"] == 1  # the record's own, though its chamber was registered first

    assert ledger.correct(logged.id, {"members": 97}, "年底复核", actor="bob", expected_version=1) == 2
    assert ledger.get(logged.id)["members"]["value"] == 97
    with pytest.raises(ConflictError):
        ledger.correct(logged.id, {"members": 98}, "再改", actor="carol", expected_version=1)

    assert ledger.retract(logged.id, "统计口径有误", actor="carol") == 3
    record = ledger.get(logged.id)
    assert record["retracted"] is True and record["retraction_reason"] == "统计口径有误"
    with pytest.raises(RecordRetracted):
        ledger.correct(logged.id, {"members": 99}, "再改", actor="dave")

    story = ledger.history(logged.id)
    assert [item["event"] for item in story] == ["MembershipCounted", "FactCorrected", "FactRetracted"]
    assert [item["actor"] for item in story] == ["alice", "bob", "carol"]
    assert story[0]["values"]["members"] == {"value": 90, "approx": None}
    assert story[1]["changes"] == {"members": {"from": {"value": 90, "approx": None},
                                               "to": {"value": 97, "approx": None}}}
    assert story[2]["reason"] == "统计口径有误"
    assert list(ledger.export_lines()) == []


def test_a_fact_logged_twice_with_its_key_is_stored_once(ledger):
    first = ledger.log(membership())
    second = ledger.log(membership())
    assert second.id == first.id and not second.created
    with pytest.raises(KeyReused):
        ledger.log(membership(members=91))
    assert ledger.get(first.id)["members"]["value"] == 90
    assert len(list(ledger.export_lines())) == 1


def test_facts_about_one_chamber_share_it_and_keep_their_own_stories(ledger):
    founded = ledger.log(valid_payload("chamber_founded", key="founded", chamber="湖北商会", ends_on=None))
    counted = ledger.log(membership())
    other_chamber = ledger.log(membership(key="members-hunan", chamber="湖南商会", members=40))
    # each fact's own version, though they share one chamber (registered + 2 facts underneath)
    assert [ledger.get(r.id)["version"] for r in (founded, counted, other_chamber)] == [1, 1, 1]
    ledger.correct(counted.id, {"members": 95}, "更正")
    assert ledger.get(counted.id)["version"] == 2 and ledger.get(founded.id)["version"] == 1
    assert [item["event"] for item in ledger.history(founded.id)] == ["ChamberFounded"]
    assert [item["event"] for item in ledger.history(counted.id)] == ["MembershipCounted", "FactCorrected"]
    assert ledger.get(founded.id)["chamber"] == "湖北商会"


def test_a_correction_cannot_move_a_fact_to_another_chamber(ledger):
    rid = ledger.log(membership()).id
    with pytest.raises(InvalidChange, match="another chamber"):
        ledger.correct(rid, {"chamber": "湖南商会"}, "改名")
    assert ledger.get(rid)["chamber"] == "湖北商会"


def test_enterprise_facts_about_the_same_firm_share_one_enterprise(ledger):
    pool = ledger.log(valid_payload("reserve_pool", key="pool", pool="gold", firms=[FIRM]), actor="alice")
    listed = ledger.log(valid_payload("enterprise_listed", key="listed", board="star", firms=[FIRM]))
    elsewhere = ledger.log(valid_payload("reserve_pool", key="pool-2", pool="silver", firms=[OTHER_FIRM]))
    assert [ledger.get(r.id)["version"] for r in (pool, listed, elsewhere)] == [1, 1, 1]  # their own
    assert ledger.get(listed.id)["board"] == "star"
    assert ledger.get(pool.id)["firms"] == [FIRM]

    ledger.correct(pool.id, {"pool": "silver"}, "复核为银种子", actor="bob")
    assert ledger.get(pool.id)["pool"] == "silver"
    with pytest.raises(InvalidChange, match="another enterprise"):
        ledger.correct(pool.id, {"firms": [OTHER_FIRM]}, "企业错了")
    ledger.retract(listed.id, "尚未上市", actor="bob")
    keys = [json.loads(line)["key"] for line in ledger.export_lines()]
    assert keys == ["pool", "pool-2"]


def test_an_enterprise_named_only_by_code_is_the_same_firm_as_by_code_and_name(ledger):
    a = ledger.log(valid_payload("reserve_pool", key="a", firms=[{"uscc": FIRM["uscc"]}]))
    b = ledger.log(valid_payload("enterprise_listed", key="b", firms=[FIRM]))
    owner = ledger.repository.get(a.id).owner_id
    assert ledger.repository.get(b.id).owner_id == owner  # one enterprise holds both facts
    assert ledger.repository.get(owner).version == 3      # registered, then the two facts
    assert ledger.get(a.id)["version"] == ledger.get(b.id)["version"] == 1  # each record's own


# --- history ---------------------------------------------------------------------------------------

def test_history_shows_each_change_from_and_to_with_its_actor_and_reason(ledger):
    rid = ledger.log(job_fair(), actor="alice").id
    ledger.correct(rid, {"posts": 9048}, "录入错误", actor="bob")
    ledger.correct(rid, {"title": "线下招聘会", "mode": "offline", "organisation": "区人社局"}, "形式写错",
                   actor="carol")
    ledger.retract(rid, "与另一条重复", actor="dave")
    story = ledger.history(rid)
    assert [item["version"] for item in story] == [1, 2, 3, 4]
    assert [item["event"] for item in story] == ["JobFairHeld", "Corrected", "Corrected", "Retracted"]
    assert [item["actor"] for item in story] == ["alice", "bob", "carol", "dave"]
    assert story[0]["occurred_on"] == "2020-05-12"
    assert story[0]["values"]["posts"] == {"value": 1000, "approx": "余"}
    assert story[0]["values"]["organisation"] == ORG
    assert story[1]["reason"] == "录入错误"
    assert story[1]["changes"] == {"posts": {"from": {"value": 1000, "approx": "余"},
                                             "to": {"value": 9048, "approx": None}}}
    assert story[2]["changes"] == {
        "title": {"from": "线上招聘会", "to": "线下招聘会"},
        "mode": {"from": "online", "to": "offline"},
        "organisation": {"from": ORG, "to": "区人社局"},
    }
    assert story[3]["reason"] == "与另一条重复" and "changes" not in story[3]
    recorded = [datetime.fromisoformat(item["recorded_at"]) for item in story]
    assert recorded == sorted(recorded)
    assert recorded[0].date() != date(2020, 5, 12)  # recorded now, though it happened in 2020
    json.dumps(story, ensure_ascii=False)  # plain JSON all through


def test_history_of_money_shows_amounts_as_text(ledger):
    rid = ledger.log(valid_payload("deal", key="deal", amount="近300000")).id
    ledger.correct(rid, {"amount": "280000.5"}, "以协议为准")
    change = ledger.history(rid)[1]["changes"]["amount"]
    assert change == {"from": {"value": "300000.00", "approx": "近"}, "to": {"value": "280000.50", "approx": None}}


# --- storage ---------------------------------------------------------------------------------------

def test_storage_is_sqlite_in_wal_mode_with_full_sync(ledger, tmp_path):
    settings = ledger.storage_settings()
    assert settings["store"] == "sqlite"
    assert settings["journal_mode"].lower() == "wal"
    assert settings["synchronous"] == 2
    assert settings["file"] == str(tmp_path / "ledger.sqlite")


def test_the_data_folder_comes_from_the_environment(tmp_path, sqlite_only, monkeypatch):
    monkeypatch.setenv("TAIZHANG_DATA", str(tmp_path / "from-env"))
    app = Ledger()
    try:
        assert app.storage_settings()["file"] == str(tmp_path / "from-env" / "ledger.sqlite")
    finally:
        app.close()


def test_an_event_stored_before_ends_on_existed_is_read_with_ends_on_none(ledger):
    rid = uuid4()
    state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2020-05-13T08:30:00+00:00"},
        "originator_topic": "taizhang:Action",
        "key": "v1-training", "organisation": ORG,
        "occurred_on": {"_type_": "date_iso", "_data_": "2020-05-12"},
        "title": "理想信念教育培训", "notes": "", "theme": "political", "actor": "alice", "firms": [],
        "facts": {"participants": {"value": 120, "approx": "余"}},
    }
    ledger.recorder.insert_events([StoredEvent(
        originator_id=rid, originator_version=1, topic="taizhang:TrainingHeld",
        state=json.dumps(state, ensure_ascii=False).encode("utf-8"))])

    action = ledger.repository.get(rid)
    assert action.ends_on is None
    assert action.occurred_on == date(2020, 5, 12)
    assert action.kind_event == "TrainingHeld"
    record = ledger.get(rid)
    assert record["participants"] == {"value": 120, "approx": "余"}
    assert "ends_on" not in record
    assert ledger.history(rid)[0]["values"]["ends_on"] is None
    # the old record takes corrections like any other
    assert ledger.correct(rid, {"ends_on": "2020-05-14"}, "补录结束日期") == 2
    assert ledger.get(rid)["ends_on"] == "2020-05-14"
    assert json.loads(next(ledger.export_lines()))["ends_on"] == "2020-05-14"


# --- files -----------------------------------------------------------------------------------------

def test_an_import_with_bad_lines_names_them_all_and_stores_nothing(ledger):
    lines = [
        json.dumps(job_fair(key="a")),
        "{not json",
        json.dumps(job_fair(key="b", posts=-1)),
        "",
        json.dumps(job_fair(key="a", title="重复的键")),
        json.dumps(membership()),
    ]
    with pytest.raises(ImportRefused) as caught:
        ledger.import_lines(lines)
    assert [e.line for e in caught.value.errors] == [2, 3, 5]
    text = str(caught.value)
    assert "line 2:" in text and "line 3: posts:" in text and "line 5: key:" in text
    assert stored_events(ledger) == []


def test_an_import_adds_new_records_and_skips_known_keys(ledger):
    lines = [json.dumps(job_fair(key=f"fair-{n}")) for n in range(3)] + [json.dumps(membership())]
    report = ledger.import_lines(lines)
    assert (report.lines, report.added, report.already_there) == (4, 4, 0)
    again = ledger.import_lines(lines + [json.dumps(job_fair(key="fair-new"))])
    assert (again.lines, again.added, again.already_there) == (5, 1, 4)
    assert again.ids[:4] == report.ids
    assert len(list(ledger.export_lines())) == 5


def test_a_new_record_is_answered_as_get_reads_it_back(ledger):
    """log answers the new record from the aggregate just saved: the same as reading it again."""
    for kind_key in dict.fromkeys(("job_fair", *KIND_KEYS)):  # actions, and facts of chambers and firms
        logged = ledger.log(valid_payload(kind_key, key=f"answer-{kind_key}"))
        assert logged.created and logged.record == ledger.get(logged.id)
    again = ledger.log(valid_payload("job_fair", key="answer-job_fair"))
    assert not again.created and again.record is None


def test_an_import_reports_progress_and_looks_known_keys_up_in_batches(ledger):
    ledger.log(valid_payload("job_fair", key="known-0"))
    lines = [json.dumps(valid_payload("job_fair", key=f"known-{i}"), ensure_ascii=False, default=str)
             for i in range(2500)]
    told: list[tuple[int, int]] = []
    report = ledger.import_lines(lines, progress=lambda done, total: told.append((done, total)))
    assert (report.added, report.already_there) == (2499, 1)
    assert told[-1] == (2500, 2500) and all(t == 2500 for _d, t in told)
    assert [d for d, _t in told] == sorted(d for d, _t in told) and len(told) >= 3
    assert ledger.recorder.existing_originators([record_id_for("known-7"), uuid4()]) == {record_id_for("known-7")}
