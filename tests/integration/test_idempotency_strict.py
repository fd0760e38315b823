"""Idempotency is strict: a key retried with the content it was logged with answers the record; the
same key with other content is refused with both versions, and nothing is stored. Import lines
without a key get one derived from their content, so importing the same file twice adds nothing."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from domain.errors import KeyReused
from scripts.cli import cli
from service.ledger import ImportRefused, record_id_for
from tests.helpers import CHAMBER_KINDS, valid_payload


def stored(ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def test_the_same_key_with_the_same_content_answers_the_record_once(ledger):
    payload = valid_payload("job_fair", key="fair-1")
    first, again = ledger.log(payload), ledger.log(dict(payload))
    assert first.created and not again.created and first.id == again.id


def test_the_same_key_with_other_content_is_refused_with_both_versions_and_stores_nothing(ledger):
    ledger.log(valid_payload("job_fair", key="fair-1", title="春季招聘会"))
    before = stored(ledger)
    with pytest.raises(KeyReused) as caught:
        ledger.log(valid_payload("job_fair", key="fair-1", title="秋季招聘会"))
    e = caught.value
    assert (e.stored["title"], e.given["title"]) == ("春季招聘会", "秋季招聘会")
    assert "fair-1" in str(e) and "nothing was stored" in str(e)
    assert stored(ledger) == before
    assert ledger.get(record_id_for("fair-1"))["title"] == "春季招聘会"


def test_a_retry_after_a_correction_is_still_the_same_record(ledger):
    payload = valid_payload("job_fair", key="fair-1", title="春季招聘会")
    ledger.log(payload)
    ledger.correct(record_id_for("fair-1"), {"title": "春季线上招聘会"}, "名称更正", actor="li")
    assert ledger.log(dict(payload)).created is False  # compared with what was first logged


def test_a_fact_about_a_chamber_is_held_to_its_key_as_well(ledger):
    kind = CHAMBER_KINDS[0]
    ledger.log(valid_payload(kind, key="chamber-fact-1"))
    assert ledger.log(valid_payload(kind, key="chamber-fact-1")).created is False
    with pytest.raises(KeyReused):
        ledger.log(valid_payload(kind, key="chamber-fact-1", title="另一件事"))


def lines(*payloads) -> list[str]:
    return [json.dumps(p, ensure_ascii=False) for p in payloads]


def test_an_import_reusing_a_key_for_other_content_names_the_line_and_stores_nothing(ledger):
    ledger.log(valid_payload("job_fair", key="fair-1", title="春季招聘会"))
    before = stored(ledger)
    with pytest.raises(ImportRefused) as caught:
        ledger.import_lines(lines(valid_payload("talk", key="talk-1"),
                                  valid_payload("job_fair", key="fair-1", title="秋季招聘会")))
    assert [e.line for e in caught.value.errors] == [2]
    assert "fair-1" in str(caught.value)
    assert stored(ledger) == before


def test_key_less_lines_get_a_key_from_their_content_so_a_second_import_adds_nothing(ledger):
    a = valid_payload("job_fair", title="春季招聘会")
    b = valid_payload("job_fair", title="秋季招聘会")
    file = lines(a, b, a)  # the same content twice is two records (two fairs alike), once each
    first = ledger.import_lines(file)
    assert (first.added, first.already_there) == (3, 0)
    again = ledger.import_lines(file)
    assert (again.added, again.already_there) == (0, 3)
    assert again.ids == first.ids
    more = ledger.import_lines(lines(a, b, a, a))  # one more line of that content: one more record
    assert (more.added, more.already_there) == (1, 3)


def test_an_export_of_corrected_records_imports_back_into_the_same_store_adding_nothing(ledger):
    ledger.log(valid_payload("job_fair", key="fair-1", title="春季招聘会"))
    ledger.correct(record_id_for("fair-1"), {"title": "春季线上招聘会"}, "名称更正", actor="li")
    exported = list(ledger.export_lines())
    report = ledger.import_lines(exported)
    assert (report.added, report.already_there) == (0, 1)


def test_the_cli_refuses_a_reused_key_naming_the_line(ledger, tmp_path):
    ledger.log(valid_payload("job_fair", key="fair-1", title="春季招聘会"))
    file = tmp_path / "in.jsonl"
    file.write_text("\n".join(lines(valid_payload("job_fair", key="fair-1", title="秋季招聘会"))) + "\n",
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(file)], env={"TAIZHANG_DATA": str(tmp_path)},
                                catch_exceptions=False)
    assert result.exit_code == 1 and "line 1" in result.stderr and "fair-1" in result.stderr
