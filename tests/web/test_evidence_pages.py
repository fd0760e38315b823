"""Evidence on the web: staff attach files on the record page, everyone logged in downloads them, a
bad file is refused with a message at the file field, the year's bundle is a zip."""
from __future__ import annotations

import hashlib
import io
import zipfile

from tests import evidence_files as files
from tests.conftest import login
from tests.helpers import valid_payload


def services(client):
    return client.application.extensions["taizhang"]


def a_record(client):
    return services(client).ledger.log(valid_payload("job_fair", "ev-fair"), actor="li").id


def upload(client, record_id, *named):
    data = {"file": [(io.BytesIO(body), name) for name, body in named]}
    return client.post(f"/records/{record_id}/evidence", data=data, content_type="multipart/form-data")


def test_staff_attach_a_photo_and_a_pdf_and_the_record_page_shows_them(as_staff):
    record_id = a_record(as_staff)
    photo, sheet = files.png(), files.pdf()
    response = upload(as_staff, record_id, ("签到照片.png", photo), ("签到表.pdf", sheet))
    assert response.status_code == 303
    page = as_staff.get(f"/records/{record_id}").get_data(as_text=True)
    digest = hashlib.sha256(photo).hexdigest()
    assert "签到照片.png" in page and "签到表.pdf" in page
    assert f'src="/records/{record_id}/evidence/{digest}?inline=1"' in page  # the thumbnail
    inline = as_staff.get(f"/records/{record_id}/evidence/{digest}?inline=1")
    assert inline.status_code == 200 and inline.mimetype == "image/png" and inline.data == photo
    got = as_staff.get(f"/records/{record_id}/evidence/{hashlib.sha256(sheet).hexdigest()}")
    assert got.mimetype == "application/pdf" and got.data == sheet
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "filename*=UTF-8''%E7%AD%BE%E5%88%B0%E8%A1%A8.pdf" in disposition


def test_a_file_that_is_not_what_it_is_named_is_refused_at_the_field(as_staff):
    record_id = a_record(as_staff)
    response = upload(as_staff, record_id, ("photo.png", files.EXECUTABLE))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="evidence-errors"' in page and "文件类型不支持" in page and "not accepted" not in page
    assert services(as_staff).reports.evidence.for_record(str(record_id)) == []
    as_staff.get("/lang/en")
    page = upload(as_staff, record_id, ("empty.pdf", b"")).get_data(as_text=True)
    assert "the file is empty" in page and "文件为空" not in page


def test_one_bad_file_among_good_ones_stores_none_of_them(as_staff):
    record_id = a_record(as_staff)
    response = upload(as_staff, record_id, ("ok.pdf", files.pdf()), ("bad.docx", files.plain_zip()))
    assert response.status_code == 422
    assert services(as_staff).reports.evidence.for_record(str(record_id)) == []


def test_a_file_over_the_limit_is_refused(as_staff, monkeypatch):
    monkeypatch.setenv("TAIZHANG_EVIDENCE_MAX_BYTES", "2000")
    record_id = a_record(as_staff)
    response = upload(as_staff, record_id, ("big.pdf", files.pdf("x" * 3000) + b" " * 3000))
    assert response.status_code == 422 and "文件过大" in response.get_data(as_text=True)
    response = upload(as_staff, record_id, ("huge.pdf", b"%PDF-" + b"0" * 400_000))  # over the request limit too
    assert response.status_code == 413 and "文件过大" in response.get_data(as_text=True)
    assert services(as_staff).reports.evidence.for_record(str(record_id)) == []


def test_auditors_read_evidence_but_attach_nothing(client):
    login(client, "staff")
    record_id = a_record(client)
    upload(client, record_id, ("协议.docx", files.docx()))
    client.post("/logout")
    login(client, "auditor")
    page = client.get(f"/records/{record_id}").get_data(as_text=True)
    assert "协议.docx" in page and 'enctype="multipart/form-data"' not in page
    assert upload(client, record_id, ("x.pdf", files.pdf())).status_code == 403


def test_removing_needs_a_reason_and_keeps_it(as_staff):
    record_id = a_record(as_staff)
    body = files.xlsx()
    upload(as_staff, record_id, ("名单.xlsx", body))
    digest = hashlib.sha256(body).hexdigest()
    assert as_staff.post(f"/records/{record_id}/evidence/{digest}/remove", data={"reason": ""}).status_code == 422
    assert as_staff.post(f"/records/{record_id}/evidence/{digest}/remove",
                         data={"reason": "传错了"}).status_code == 303
    assert as_staff.get(f"/records/{record_id}/evidence/{digest}").status_code == 404
    (row,) = services(as_staff).reports.evidence.for_record(str(record_id), include_removed=True)
    assert row["removal_reason"] == "传错了"


def test_the_year_bundle_is_a_zip_named_by_record_with_a_manifest(as_staff):
    record_id = a_record(as_staff)
    photo, sheet = files.jpeg(), files.pdf()
    upload(as_staff, record_id, ("现场.jpg", photo), ("签到表.pdf", sheet))
    response = as_staff.get("/summary/2020/evidence.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as z:
        names = z.namelist()
        title = services(as_staff).ledger.get(record_id)["title"]
        assert f"2020-05-12 {title}/现场.jpg" in names and f"2020-05-12 {title}/签到表.pdf" in names
        assert z.read(f"2020-05-12 {title}/现场.jpg") == photo
        manifest = z.read("manifest.csv").decode("utf-8-sig")
        assert hashlib.sha256(sheet).hexdigest() in manifest and str(record_id) in manifest


def test_a_figure_lists_the_evidence_of_the_records_behind_it(as_staff):
    record_id = services(as_staff).ledger.log(valid_payload("job_fair", "ev-fig", mode="online"), actor="li").id
    upload(as_staff, record_id, ("a.pdf", files.pdf()), ("b.png", files.png()))
    page = as_staff.get("/summary/2020/figures/business.job_fairs_online").get_data(as_text=True)
    assert f'href="/records/{record_id}#evidence"' in page
    assert 'id="evidence-bundle"' in as_staff.get("/summary/2020").get_data(as_text=True)


def test_files_sent_with_the_log_form_are_attached_to_the_new_record(as_staff):
    from tests.web.test_forms import job_fair_form, key_of

    key = key_of(as_staff.get("/log/job_fair").get_data(as_text=True))
    data = job_fair_form(key)
    data["file"] = [(io.BytesIO(files.png()), "现场.png")]
    response = as_staff.post("/log/job_fair", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    record_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    assert [r["filename"] for r in services(as_staff).reports.evidence.for_record(record_id)] == ["现场.png"]


def test_a_bad_file_on_the_log_form_stores_no_record(as_staff):
    from tests.web.test_forms import job_fair_form, key_of

    key = key_of(as_staff.get("/log/job_fair").get_data(as_text=True))
    data = job_fair_form(key)
    data["file"] = [(io.BytesIO(files.EXECUTABLE), "现场.png")]
    response = as_staff.post("/log/job_fair", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "文件类型不支持" in response.get_data(as_text=True)
    assert services(as_staff).ledger.recorder.max_notification_id() in (None, 0)
