"""Evidence in the JSON API: POST multipart /api/records/{id}/evidence, GET the list."""
from __future__ import annotations

import hashlib
import io

from tests import evidence_files as files
from tests.helpers import valid_payload


def token(app, role="staff"):
    from tests.conftest import PASSWORDS, USER_OF_ROLE

    accounts = app.extensions["taizhang"].accounts
    if accounts.get(USER_OF_ROLE[role]) is None:
        accounts.add(USER_OF_ROLE[role], role, PASSWORDS[role])
    return {"Authorization": f"Bearer {accounts.issue_token(USER_OF_ROLE[role])}"}


def test_attach_by_api_then_list_and_download(app, client):
    record_id = app.extensions["taizhang"].ledger.log(valid_payload("job_fair", "api-ev"), actor="li").id
    body = files.pdf()
    response = client.post(f"/api/records/{record_id}/evidence", headers=token(app),
                           data={"file": [(io.BytesIO(body), "协议.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    (item,) = response.json
    assert item["digest"] == hashlib.sha256(body).hexdigest() and item["media_type"] == "application/pdf"
    assert item["created"] is True
    listed = client.get(f"/api/records/{record_id}/evidence", headers=token(app, "auditor")).json
    assert [r["filename"] for r in listed] == ["协议.pdf"]
    assert client.get(listed[0]["url"], headers=token(app, "auditor")).data == body


def test_a_bad_file_by_api_is_a_422_naming_the_file_field(app, client):
    record_id = app.extensions["taizhang"].ledger.log(valid_payload("job_fair", "api-ev2"), actor="li").id
    response = client.post(f"/api/records/{record_id}/evidence", headers=token(app),
                           data={"file": [(io.BytesIO(b"hello"), "a.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 422 and list(response.json["errors"]) == ["file"]
    assert client.post(f"/api/records/{record_id}/evidence", headers=token(app, "auditor"),
                       data={"file": [(io.BytesIO(files.pdf()), "a.pdf")]},
                       content_type="multipart/form-data").status_code == 403
    assert client.get(f"/api/records/{record_id}/evidence", headers=token(app)).json == []
