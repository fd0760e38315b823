"""The organisation tree through the admin page and the JSON API: the same rules as ``taizhang org``,
each refusal named at its field with nothing stored, and a unit's admin changes the tree within it only."""
from __future__ import annotations

from tests.conftest import PASSWORDS


def _units(app) -> dict[str, dict]:
    return {u["code"]: u for u in app.extensions["taizhang"].reports.units()}


def test_an_admin_builds_the_tree_on_the_page(app, as_admin):
    page = as_admin.get("/admin/units")
    assert page.status_code == 200 and "组织单元" in page.get_data(as_text=True)
    assert as_admin.post("/admin/units", data={"name": "某市工商联", "level": "city", "code": "4201"}).status_code == 303
    added = as_admin.post("/admin/units", data={"name": "甲区工商联", "level": "district", "code": "420101",
                                                "parent": "4201"})
    assert added.status_code == 303
    assert _units(app)["420101"]["parent"] == "4201"
    tree = as_admin.get("/admin/units").get_data(as_text=True)
    assert tree.index("某市工商联") < tree.index("甲区工商联")


def test_refusals_name_the_field_and_store_nothing(app, as_admin):
    as_admin.post("/admin/units", data={"name": "甲区工商联", "level": "district", "code": "420101"})
    taken = as_admin.post("/admin/units", data={"name": "乙区工商联", "level": "district", "code": "420101"})
    assert taken.status_code == 422 and 'id="code-error"' in taken.get_data(as_text=True)
    under = as_admin.post("/admin/units", data={"name": "某市", "level": "city", "code": "4201", "parent": "420101"})
    assert under.status_code == 422 and 'id="parent-error"' in under.get_data(as_text=True)
    no_reason = as_admin.post("/admin/units/change", data={"code": "420101", "action": "rename", "value": "丙区"})
    assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.get_data(as_text=True)
    assert set(_units(app)) == {"420101"} and _units(app)["420101"]["name"] == "甲区工商联"


def test_the_api_moves_renames_and_merges_with_reasons(app, as_admin):
    api = as_admin
    for body in ({"name": "某市工商联", "level": "市", "code": "4201"},
                 {"name": "甲区工商联", "level": "区县", "code": "420101", "parent": "4201"},
                 {"name": "乙区工商联", "level": "区县", "code": "420102"}):
        assert api.post("/api/units", json=body).status_code == 201
    assert api.post("/api/units/420102/moves", json={"parent": "4201", "reason": "划入"}).status_code == 200
    assert api.post("/api/units/420101/renames", json={"name": "甲新区工商联", "reason": "更名"}).status_code == 200
    merged = api.post("/api/units/420102/merges", json={"into": "420101", "reason": "区划调整"})
    assert merged.status_code == 200 and merged.get_json()["merged_into"] == "420101"
    assert {u["code"]: u["name"] for u in api.get("/api/units").get_json()} == {"4201": "某市工商联",
                                                                               "420101": "甲新区工商联"}
    wrong = api.post("/api/units/4201/merges", json={"into": "420101", "reason": "x"})
    assert wrong.status_code == 422 and "同级" in wrong.get_json()["message"]


def test_a_units_admin_changes_the_tree_within_it_only(app, as_admin):
    services = app.extensions["taizhang"]
    for body in ({"name": "某市工商联", "level": "市", "code": "4201"},
                 {"name": "另一市工商联", "level": "市", "code": "4202"}):
        as_admin.post("/api/units", json=body)
    services.accounts.add("city_admin", "admin", PASSWORDS["admin"], unit="4201")
    headers = {"Authorization": f"Bearer {services.accounts.issue_token('city_admin')}"}
    client = app.test_client()
    inside = client.post("/api/units", json={"name": "甲区工商联", "level": "区县", "code": "420101",
                                             "parent": "4201"}, headers=headers)
    assert inside.status_code == 201
    outside = client.post("/api/units", json={"name": "丙区工商联", "level": "区县", "code": "420201",
                                              "parent": "4202"}, headers=headers)
    assert outside.status_code == 403 and "某市工商联" in outside.get_json()["message"]
    assert "420201" not in _units(app)


def test_the_close_form_takes_an_admins_override_and_the_summary_shows_it(app, as_admin, monkeypatch):
    monkeypatch.setenv("TAIZHANG_SEAL_KEY", "test-seal-key-for-units")
    services = app.extensions["taizhang"]
    for body in ({"name": "某市工商联", "level": "市", "code": "4201"},
                 {"name": "甲区工商联", "level": "区县", "code": "420101", "parent": "4201"}):
        as_admin.post("/api/units", json=body)
    services.ledger.log({"kind": "training", "organisation": "某市工商联", "occurred_on": "2021-03-01",
                         "title": "全市培训", "participants": 50}, actor="t")
    form = {"organisation": "某市工商联", "confirm": "yes", "back": "/audit/summary/2021"}
    refused = as_admin.post("/audit/years/2021/close", data=form)
    assert refused.status_code == 409 and "甲区工商联" in refused.get_data(as_text=True)
    assert services.reports.seal("某市工商联", 2021) is None
    closed = as_admin.post("/audit/years/2021/close", data={**form, "override_reason": "甲区未开展工作"})
    assert closed.status_code == 303
    page = as_admin.get("/audit/summary/2021?organisation=某市工商联").get_data(as_text=True)
    assert "先于下级单位关闭" in page and "甲区未开展工作" in page
