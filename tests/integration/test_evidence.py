"""Evidence (佐证材料): files attached to a record are events in the log, their bytes stored by digest,
checked by content, covered by verify."""
from __future__ import annotations

import hashlib

import pytest

from domain.errors import RecordNotFound, RecordRetracted
from domain.evidence import EvidenceNotFound
from service import audit, evidence
from service.bootstrap import Settings, bootstrap
from tests import evidence_files as files
from tests.helpers import ORG, valid_payload


@pytest.fixture
def services(tmp_path, monkeypatch):
    monkeypatch.delenv(evidence.FOLDER_VARIABLE, raising=False)
    monkeypatch.delenv(evidence.MAX_BYTES_VARIABLE, raising=False)
    return bootstrap(Settings.from_env(tmp_path))


@pytest.fixture
def record_id(services):
    return services.ledger.log(valid_payload("job_fair", "fair-1"), actor="li").id


@pytest.mark.parametrize(("make", "media_type"), [
    (files.png, evidence.PNG), (files.jpeg, evidence.JPEG), (files.pdf, evidence.PDF),
    (files.docx, evidence.DOCX), (files.xlsx, evidence.XLSX)])
def test_each_accepted_kind_is_recognised_by_its_content_whatever_its_name(services, record_id, make, media_type):
    data = make()
    got = evidence.attach(services, record_id, data, "scan.bin", actor="li")
    assert got["media_type"] == media_type and got["created"]
    digest = hashlib.sha256(data).hexdigest()
    path = services.settings.data / "evidence" / digest[:2] / digest
    assert got["digest"] == digest and path.read_bytes() == data


@pytest.mark.parametrize(("data", "name", "words"), [
    (b"", "empty.pdf", "文件为空"), (None, None, "请选择"), (files.EXECUTABLE, "photo.png", "类型不支持"),
    (files.plain_zip(), "sheet.xlsx", "类型不支持"), (b"%PDx-1.4 nope", "a.pdf", "类型不支持")])
def test_a_bad_upload_names_the_file_field_and_stores_nothing(services, record_id, data, name, words):
    before = services.ledger.recorder.max_notification_id()
    with pytest.raises(evidence.EvidenceRefused) as refused:
        evidence.attach(services, record_id, data, name, actor="li")
    assert list(refused.value.messages) == ["file"] and words in refused.value.messages["file"][0]
    assert services.ledger.recorder.max_notification_id() == before
    assert not (services.settings.data / "evidence").exists()


def test_the_size_limit_comes_from_the_environment(services, record_id, monkeypatch):
    monkeypatch.setenv(evidence.MAX_BYTES_VARIABLE, "100")
    with pytest.raises(evidence.EvidenceRefused) as refused:
        evidence.attach(services, record_id, files.pdf(), "big.pdf", actor="li")
    assert "过大" in refused.value.messages["file"][0] and "too large" in refused.value.messages["file"][0]
    monkeypatch.setenv(evidence.MAX_BYTES_VARIABLE, str(10 ** 6))
    assert evidence.attach(services, record_id, files.pdf(), "big.pdf", actor="li")["created"]


def test_attaching_is_an_event_that_leaves_the_record_version_alone(services, record_id):
    version = services.ledger.get(record_id)["version"]
    data = files.png()
    evidence.attach(services, record_id, data, "签到表.png", actor="li")
    again = evidence.attach(services, record_id, data, "other-name.png", actor="wang")
    assert again["created"] is False and again["filename"] == "签到表.png"
    assert services.ledger.get(record_id)["version"] == version
    rows = services.reports.evidence.for_record(str(record_id))
    assert [(r["filename"], r["attached_by"], r["size"], r["media_type"]) for r in rows] == [
        ("签到表.png", "li", len(data), evidence.PNG)]
    names = [e["event"] for e in services.reports.store.db.query(
        "SELECT event FROM events WHERE record_id = ? ORDER BY position", [str(record_id)])]
    assert names[-1] == "EvidenceAttached"


def test_a_removal_keeps_the_reason_and_the_file_can_be_attached_again(services, record_id):
    data = files.pdf()
    digest = evidence.attach(services, record_id, data, "a.pdf", actor="li")["digest"]
    with pytest.raises(evidence.EvidenceRefused):
        evidence.remove(services, record_id, digest, "  ", actor="li")
    evidence.remove(services, record_id, digest, "传错了文件", actor="li")
    assert services.reports.evidence.for_record(str(record_id)) == []
    (row,) = services.reports.evidence.for_record(str(record_id), include_removed=True)
    assert row["removed"] == 1 and row["removal_reason"] == "传错了文件"
    with pytest.raises(EvidenceNotFound):
        evidence.remove(services, record_id, digest, "again", actor="li")
    assert evidence.attach(services, record_id, data, "a.pdf", actor="li")["created"]


def test_no_evidence_for_a_missing_or_retracted_record(services, record_id):
    from uuid import uuid4

    with pytest.raises(RecordNotFound):
        evidence.attach(services, uuid4(), files.pdf(), "a.pdf", actor="li")
    services.ledger.retract(record_id, "重复记录", actor="li")
    with pytest.raises(RecordRetracted):
        evidence.attach(services, record_id, files.pdf(), "a.pdf", actor="li")


def test_verify_finds_a_missing_or_altered_evidence_file(services, record_id):
    a = evidence.attach(services, record_id, files.pdf("one"), "one.pdf", actor="li")
    b = evidence.attach(services, record_id, files.png(), "two.png", actor="li")
    result = audit.verify(services)
    assert result.ok, result.problems
    folder = services.settings.data / "evidence"
    (folder / a["digest"][:2] / a["digest"]).unlink()
    path_b = folder / b["digest"][:2] / b["digest"]
    path_b.write_bytes(path_b.read_bytes() + b"x")
    result = audit.verify(services)
    assert not result.ok
    why = " ".join(p.why for p in result.problems)
    assert "one.pdf" in why and "missing" in why and "two.png" in why and "altered" in why


def test_verify_takes_the_attachments_from_the_log_not_from_the_read_model(services, record_id):
    # verify folds the live attachments from the events it has just checked: a read model that lost a
    # row (a views file edited, or one not caught up) hides no altered file, and verify writes no view.
    a = evidence.attach(services, record_id, files.pdf("one"), "one.pdf", actor="li")
    b = evidence.attach(services, record_id, files.png(), "two.png", actor="li")
    evidence.remove(services, record_id, b["digest"], "传错了 wrong file", actor="li")
    db = services.reports.store.db
    db.execute("DELETE FROM evidence")
    db.conn.commit()
    path = services.settings.data / "evidence" / a["digest"][:2] / a["digest"]
    path.write_bytes(b"not the pdf")
    (services.settings.data / "evidence" / b["digest"][:2] / b["digest"]).unlink(missing_ok=True)
    result = audit.verify(services)
    assert not result.ok
    assert [p.why for p in result.problems if "evidence file" in p.why] == [
        f"the evidence file one.pdf of record {record_id} was altered: its bytes no longer match the digest "
        f"{a['digest'][:12]}…"]  # the removed one is not asked for


def test_the_evidence_table_is_rebuilt_from_the_log(services, record_id):
    evidence.attach(services, record_id, files.docx(), "协议.docx", actor="li")
    before = services.reports.evidence.for_record(str(record_id))
    services.reports.rebuild()
    assert services.reports.evidence.for_record(str(record_id)) == before
    assert services.reports.evidence.counts([str(record_id), "nope"]) == {str(record_id): 1}
    assert [r["filename"] for r in services.reports.evidence.for_year(ORG, 2020)] == ["协议.docx"]


def test_the_audit_timeline_names_an_attachment_as_its_own_action(services, record_id):
    from projections.timeline import action_page

    evidence.attach(services, record_id, files.pdf(), "a.pdf", actor="wang")
    services.reports.catch_up()
    page = action_page(services.reports.store.db, [], [])
    assert [r["action"] for r in page.rows] == ["attach", "log"]
    attached = page.rows[0]
    assert attached["actor"] == "wang" and attached["title"] and len(attached["events"]) == 2  # with its Opened
    assert [r["action"] for r in action_page(services.reports.store.db, [], [], action="log").rows] == ["log"]
