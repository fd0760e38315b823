"""The staff forms (api/web.py): choose a kind, log it, correct it, retract it — without JavaScript."""
from __future__ import annotations

import re
from uuid import UUID

import pytest

from domain.uscc import make_uscc
from service.schemas import REQUIRED, USCC_MESSAGES
from tests.conftest import PASSWORDS, USER_OF_ROLE

FIRM_A = ("武汉甲科技有限公司", make_uscc(1))
FIRM_B = ("武汉乙实业有限公司", make_uscc(2))


def zh_side(message: str) -> str:
    """The Chinese half of a service message "中文 / English": what the Chinese page shows."""
    return message.split(" / ")[0]


def bad_code(code: str) -> str:
    """The same code with a wrong check character."""
    return code[:17] + ("0" if code[17] != "0" else "1")


def services(client):
    return client.application.extensions["taizhang"]


def stored_count(client) -> int:
    reports = services(client).reports
    return reports.list_records(include_retracted=True)[1]


def exported(client) -> list[str]:
    return list(services(client).ledger.export_lines())


def key_of(page: str) -> str:
    m = re.search(r'name="key" value="([0-9a-f]{32})"', page)
    assert m, "the form has no idempotency key"
    return m.group(1)


def version_of(page: str) -> str:
    m = re.search(r'name="expected_version" value="(\d+)"', page)
    assert m, "the form has no expected_version"
    return m.group(1)


def section(page: str, start_marker: str, end_marker: str) -> str:
    start = page.index(start_marker)
    return page[start:page.index(end_marker, start)]


def job_fair_form(key: str, **over) -> dict:
    data = {
        "key": key, "organisation": "东西湖区工商联", "occurred_on": "2020-05-12", "ends_on": "",
        "title": "2020 年春季网络招聘会", "mode": "online", "posts": "300", "posts__approx": "余",
        "seekers_matched": "120", "seekers_matched__approx": "", "partner": "", "notes": "", "theme": "",
        "firm_name": [FIRM_A[0], FIRM_B[0], "", "", ""], "firm_uscc": [FIRM_A[1], FIRM_B[1], "", "", ""],
    }
    data.update(over)
    return data


def log_job_fair(client, **over) -> UUID:
    key = key_of(client.get("/log/job_fair").get_data(as_text=True))
    response = client.post("/log/job_fair", data=job_fair_form(key, **over))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    return UUID(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def correct_form(client, record_id) -> str:
    response = client.get(f"/records/{record_id}/correct")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def input_value(page: str, name: str) -> str:
    m = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert m, f"no input {name}"
    return m.group(1)


def filled_form(page: str, **over) -> dict:
    """The values a browser would send for a form page as it stands (text inputs, selects, textareas)."""
    data: dict = {}
    for name, value in re.findall(r'<input type="(?:text|date|number|hidden)"[^>]*?name="([^"]+)" value="([^"]*)"',
                                  page):
        if name in ("firm_name", "firm_uscc"):
            data.setdefault(name, []).append(value)
        else:
            data[name] = value
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        data[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = body
    data.update(over)
    return data


# --- choosing a kind, the empty form ---

def test_choose_kind_groups_kinds_by_theme(as_staff):
    page = as_staff.get("/log").get_data(as_text=True)
    business = section(page, 'id="theme-business"', "</section>")
    assert "优化营商环境，助力民企健康发展" in business
    assert '<a href="/log/job_fair">招聘会</a>' in business
    assert '<a href="/log/training">理想信念教育培训</a>' in section(page, 'id="theme-political"', "</section>")
    assert "/log/target" in section(page, 'id="theme-plans"', "</section>")


def test_choose_kind_in_english(as_staff):
    as_staff.get("/lang/en")
    page = as_staff.get("/log").get_data(as_text=True)
    assert '<a href="/log/job_fair">Job fair</a>' in page
    assert "Business environment and services to firms" in page


def test_log_form_is_built_from_the_schema(as_staff):
    response = as_staff.get("/log/job_fair")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "招聘会" in page
    assert '<input type="hidden" name="csrf_token"' in page
    key_of(page)
    assert '<input type="date" id="f-occurred_on" name="occurred_on"' in page
    mode = section(page, 'id="field-mode"', "</div>")
    assert "形式" in mode and '<option value="online">线上</option>' in mode
    posts = section(page, 'id="field-posts"', "</div>")
    assert '<input type="number" id="f-posts" name="posts"' in posts
    assert 'name="posts__approx"' in posts and '<option value="近">' in posts
    assert '<span class="unit">个</span>' in posts
    assert "如：区人社局" in section(page, 'id="field-partner"', "</div>")  # help text
    assert page.count('name="firm_name"') == 2 and page.count('name="firm_uscc"') == 2  # 再加一家 adds more
    assert 'name="more_firms"' in page and 'name="firm_list"' in page
    assert '<datalist id="firm-names">' in page


def test_each_get_makes_a_fresh_key(as_staff):
    first = key_of(as_staff.get("/log/job_fair").get_data(as_text=True))
    second = key_of(as_staff.get("/log/job_fair").get_data(as_text=True))
    assert first != second


def test_log_form_in_english(as_staff):
    as_staff.get("/lang/en")
    page = as_staff.get("/log/job_fair").get_data(as_text=True)
    assert "Job fair" in page and "posts offered" in page and '<option value="online">online</option>' in page
    assert '<span class="unit">posts</span>' in page


def test_target_form_offers_kinds_and_no_marker_for_quantity(as_staff):
    page = as_staff.get("/log/target").get_data(as_text=True)
    target_kind = section(page, 'id="field-target_kind"', "</div>")
    assert '<option value="job_fair">招聘会</option>' in target_kind
    assert 'name="quantity__approx"' not in page
    assert '<input type="number" id="f-for_year" name="for_year" value="" step="1" min="2000" max="2100"' in page


def test_unknown_kind_is_404(as_staff):
    assert as_staff.get("/log/no_such_kind").status_code == 404
    assert as_staff.post("/log/no_such_kind", data={}).status_code == 404


def test_firm_suggestions_fill_the_datalist(as_staff):
    log_job_fair(as_staff)
    page = as_staff.get("/log/talk").get_data(as_text=True)
    names = section(page, '<datalist id="firm-names">', "</datalist>")
    assert f'<option value="{FIRM_A[0]}">{FIRM_A[1]}</option>' in names


# --- logging ---

def test_logging_a_job_fair_with_two_firms(as_staff):
    record_id = log_job_fair(as_staff)
    assert stored_count(as_staff) == 1
    record = services(as_staff).ledger.get(record_id)
    assert record["kind"] == "job_fair"
    assert record["organisation"] == "东西湖区工商联"
    assert record["occurred_on"] == "2020-05-12"
    assert record["title"] == "2020 年春季网络招聘会"
    assert record["mode"] == "online"
    assert record["posts"] == {"value": 300, "approx": "余"}
    assert record["seekers_matched"] == {"value": 120, "approx": None}
    assert "partner" not in record and "ends_on" not in record
    assert record["theme"] == "business"
    assert record["firms"] == [{"name": FIRM_A[0], "uscc": FIRM_A[1]}, {"name": FIRM_B[0], "uscc": FIRM_B[1]}]
    assert record["logged_by"] == USER_OF_ROLE["staff"]
    page = as_staff.get(f"/records/{record_id}").get_data(as_text=True)
    assert "2020 年春季网络招聘会" in page and FIRM_B[1] in page


def test_money_with_a_marker_and_a_chosen_theme(as_staff):
    key = key_of(as_staff.get("/log/donation").get_data(as_text=True))
    response = as_staff.post("/log/donation", data={
        "key": key, "organisation": "东西湖区工商联", "occurred_on": "2020-02-10", "title": "商会抗疫捐款",
        "form": "money", "amount": "300000", "amount__approx": "近", "cause": "epidemic", "donor_type": "chamber",
        "donor": "湖北商会", "donor_count": "", "theme": "chambers", "firm_name": "", "firm_uscc": ""})
    assert response.status_code == 303
    record_id = UUID(response.headers["Location"].rsplit("/", 1)[1])
    record = services(as_staff).ledger.get(record_id)
    assert record["amount"] == {"value": "300000.00", "approx": "近"}
    assert record["theme"] == "chambers" and record["firms"] == []
    page = as_staff.get(f"/records/{record_id}").get_data(as_text=True)
    assert "近 30 万元" in page


def test_a_bad_code_is_shown_at_its_firm_row_and_nothing_is_stored(as_staff):
    key = key_of(as_staff.get("/log/job_fair").get_data(as_text=True))
    # firms in rows 1 and 3 (row 2 left empty): the message must land on row 3
    response = as_staff.post("/log/job_fair", data=job_fair_form(
        key, firm_name=[FIRM_A[0], "", FIRM_B[0], "", ""], firm_uscc=[FIRM_A[1], "", bad_code(FIRM_B[1]), "", ""]))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="form-errors"' in page
    row3 = section(page, '<fieldset id="firm-2"', "</fieldset>")
    assert zh_side(USCC_MESSAGES["checksum"]) in row3
    assert f'value="{bad_code(FIRM_B[1])}"' in row3 and f'value="{FIRM_B[0]}"' in row3
    assert zh_side(USCC_MESSAGES["checksum"]) not in section(page, '<fieldset id="firm-0"', "</fieldset>")
    assert f'value="{FIRM_A[0]}"' in section(page, '<fieldset id="firm-0"', "</fieldset>")
    # every other input kept, the key too
    assert input_value(page, "title") == "2020 年春季网络招聘会"
    assert input_value(page, "posts") == "300"
    assert '<option value="余" selected>' in section(page, 'id="field-posts"', "</div>")
    assert '<option value="online" selected>' in section(page, 'id="field-mode"', "</div>")
    assert key_of(page) == key
    assert stored_count(as_staff) == 0
    assert exported(as_staff) == []


def test_a_missing_title_names_the_title_field(as_staff):
    key = key_of(as_staff.get("/log/job_fair").get_data(as_text=True))
    response = as_staff.post("/log/job_fair", data=job_fair_form(key, title="  "))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    title = section(page, 'id="field-title"', "</div>")
    assert 'class="field-error"' in title
    assert '<a href="#field-title">标题</a>' in section(page, 'id="form-errors"', "</div>")
    assert stored_count(as_staff) == 0

    response = as_staff.post("/log/job_fair", data=job_fair_form(key, title="", mode=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert zh_side(REQUIRED) in section(page, 'id="field-title"', "</div>")
    assert zh_side(REQUIRED) in section(page, 'id="field-mode"', "</div>")
    assert exported(as_staff) == []


def test_the_same_key_twice_makes_one_record(as_staff):
    key = key_of(as_staff.get("/log/job_fair").get_data(as_text=True))
    first = as_staff.post("/log/job_fair", data=job_fair_form(key))
    second = as_staff.post("/log/job_fair", data=job_fair_form(key))
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert stored_count(as_staff) == 1
    page = as_staff.get(second.headers["Location"]).get_data(as_text=True)
    assert "已记录过" in page


def test_a_chamber_fact_through_the_form(as_staff):
    key = key_of(as_staff.get("/log/chamber_membership").get_data(as_text=True))
    response = as_staff.post("/log/chamber_membership", data={
        "key": key, "organisation": "东西湖区工商联", "occurred_on": "2020-12-01", "title": "湖北商会会员统计",
        "chamber": "湖北商会", "members": "120", "members__approx": "多", "party_members": "15"})
    assert response.status_code == 303
    record_id = response.headers["Location"].rsplit("/", 1)[1]
    page = correct_form(as_staff, record_id)
    response = as_staff.post(f"/records/{record_id}/correct",
                             data=filled_form(page, members="130", reason="年底复核"))
    assert response.status_code == 303
    assert services(as_staff).ledger.get(UUID(record_id))["members"] == {"value": 130, "approx": "多"}


# --- correcting ---

def test_the_correct_form_is_prefilled(as_staff):
    record_id = log_job_fair(as_staff)
    page = correct_form(as_staff, record_id)
    assert input_value(page, "title") == "2020 年春季网络招聘会"
    assert input_value(page, "occurred_on") == "2020-05-12"
    assert input_value(page, "posts") == "300"
    assert '<option value="余" selected>' in section(page, 'id="field-posts"', "</div>")
    assert f'value="{FIRM_B[1]}"' in section(page, '<fieldset id="firm-1"', "</fieldset>")
    assert version_of(page) == str(services(as_staff).ledger.get(record_id)["version"])
    assert 'name="reason"' in page and 'name="key"' not in page


def test_a_correction_with_a_reason_changes_the_value_and_shows_in_history(as_staff):
    record_id = log_job_fair(as_staff)
    page = correct_form(as_staff, record_id)
    response = as_staff.post(f"/records/{record_id}/correct",
                             data=filled_form(page, posts="350", posts__approx="", reason="核对签到表"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/records/{record_id}")
    ledger = services(as_staff).ledger
    assert ledger.get(record_id)["posts"] == {"value": 350, "approx": None}
    history = ledger.history(record_id)
    assert len(history) == 2
    assert set(history[1]["changes"]) == {"posts"}  # only the changed field is sent
    page = as_staff.get(f"/records/{record_id}").get_data(as_text=True)
    assert "核对签到表" in page
    assert "<del>300 余个</del> → <ins>350 个</ins>" in page


def test_clearing_an_optional_field_removes_it(as_staff):
    record_id = log_job_fair(as_staff)
    page = correct_form(as_staff, record_id)
    response = as_staff.post(f"/records/{record_id}/correct",
                             data=filled_form(page, seekers_matched="", firm_name=[FIRM_A[0]], firm_uscc=[FIRM_A[1]],
                                              reason="第二家企业登记错误"))
    assert response.status_code == 303
    record = services(as_staff).ledger.get(record_id)
    assert "seekers_matched" not in record
    assert record["firms"] == [{"name": FIRM_A[0], "uscc": FIRM_A[1]}]


def test_a_correction_without_reason_is_refused(as_staff):
    record_id = log_job_fair(as_staff)
    page = correct_form(as_staff, record_id)
    response = as_staff.post(f"/records/{record_id}/correct", data=filled_form(page, title="新标题", reason=" "))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="field-error" id="err-reason"' in section(page, 'id="field-reason"', "</div>")
    assert input_value(page, "title") == "新标题"
    ledger = services(as_staff).ledger
    assert len(ledger.history(record_id)) == 1
    assert ledger.get(record_id)["title"] == "2020 年春季网络招聘会"


def test_a_correction_that_changes_nothing_is_refused(as_staff):
    record_id = log_job_fair(as_staff)
    page = correct_form(as_staff, record_id)
    response = as_staff.post(f"/records/{record_id}/correct", data=filled_form(page, reason="看看"))
    assert response.status_code == 422
    assert 'id="form-errors"' in response.get_data(as_text=True)
    # a value written differently but equal is no change either
    response = as_staff.post(f"/records/{record_id}/correct", data=filled_form(page, posts="300.0", reason="看看"))
    assert response.status_code == 422
    assert len(services(as_staff).ledger.history(record_id)) == 1


def test_an_invalid_correction_shows_messages_at_the_fields(as_staff):
    record_id = log_job_fair(as_staff)
    page = correct_form(as_staff, record_id)
    response = as_staff.post(f"/records/{record_id}/correct", data=filled_form(
        page, firm_uscc=[FIRM_A[1], bad_code(FIRM_B[1]), "", "", ""], occurred_on="", reason="更正"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert zh_side(USCC_MESSAGES["checksum"]) in section(page, '<fieldset id="firm-1"', "</fieldset>")
    assert 'class="field-error"' in section(page, 'id="field-occurred_on"', "</div>")
    assert len(services(as_staff).ledger.history(record_id)) == 1


def test_a_conflict_shows_both_versions_and_keeps_the_input(as_staff):
    record_id = log_job_fair(as_staff)
    first_page, second_page = correct_form(as_staff, record_id), correct_form(as_staff, record_id)
    version = version_of(first_page)
    assert version_of(second_page) == version
    first = as_staff.post(f"/records/{record_id}/correct",
                          data=filled_form(first_page, title="甲改的标题", reason="甲的理由"))
    assert first.status_code == 303
    second = as_staff.post(f"/records/{record_id}/correct",
                           data=filled_form(second_page, title="乙改的标题", posts="999", reason="乙的理由"))
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    box = section(page, 'id="conflict"', "</section>")
    assert "已被他人修改" in box and "Someone else" not in box  # the Chinese page: Chinese only
    title_row = [row for row in re.findall(r"<tr class=\"(?:differs|same)\">.*?</tr>", box, re.S) if "标题" in row][0]
    assert '<td class="stored">甲改的标题</td>' in title_row and '<td class="yours">乙改的标题</td>' in title_row
    assert "differs" in title_row
    # the form again, with the user's input and the NEW version
    form = page[page.index('<form method="post" class="work-form"'):]
    assert input_value(form, "title") == "乙改的标题"
    assert input_value(form, "posts") == "999"
    assert "乙的理由" in section(form, 'id="field-reason"', "</div>")
    ledger = services(as_staff).ledger
    now = ledger.get(record_id)
    assert version_of(form) == str(now["version"]) != version
    assert now["title"] == "甲改的标题" and now["posts"]["value"] == 300
    assert len(ledger.history(record_id)) == 2
    # resubmitting the kept form now works
    again = as_staff.post(f"/records/{record_id}/correct", data=filled_form(form))
    assert again.status_code == 303
    assert ledger.get(record_id)["title"] == "乙改的标题"


def test_a_correction_without_version_is_refused(as_staff):
    record_id = log_job_fair(as_staff)
    data = filled_form(correct_form(as_staff, record_id), title="新标题", reason="更正")
    del data["expected_version"]
    assert as_staff.post(f"/records/{record_id}/correct", data=data).status_code == 400
    assert as_staff.post(f"/records/{record_id}/retract", data={"reason": "x"}).status_code == 400
    assert len(services(as_staff).ledger.history(record_id)) == 1


# --- retracting ---

def test_retract_then_correct_is_refused(as_staff):
    record_id = log_job_fair(as_staff)
    page = as_staff.get(f"/records/{record_id}/retract").get_data(as_text=True)
    assert '<input type="hidden" name="csrf_token"' in page
    refused = as_staff.post(f"/records/{record_id}/retract", data={"expected_version": version_of(page), "reason": ""})
    assert refused.status_code == 422
    assert not services(as_staff).ledger.get(record_id)["retracted"]
    done = as_staff.post(f"/records/{record_id}/retract", data={"expected_version": version_of(page), "reason": "重复登记"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/records/{record_id}")
    record_page = as_staff.get(f"/records/{record_id}").get_data(as_text=True)
    assert 'class="retracted-banner"' in record_page and "重复登记" in record_page
    assert f"/records/{record_id}/correct" not in record_page
    assert as_staff.get(f"/records/{record_id}/correct").status_code == 409
    response = as_staff.post(f"/records/{record_id}/correct",
                             data={"expected_version": "2", "title": "x", "reason": "再改"})
    assert response.status_code == 409
    assert "已撤销" in response.get_data(as_text=True)
    again = as_staff.post(f"/records/{record_id}/retract", data={"expected_version": "2", "reason": "again"})
    assert again.status_code == 409
    assert len(services(as_staff).ledger.history(record_id)) == 2


def test_a_retraction_after_a_change_asks_again(as_staff):
    record_id = log_job_fair(as_staff)
    page = as_staff.get(f"/records/{record_id}/retract").get_data(as_text=True)
    services(as_staff).ledger.correct(record_id, {"title": "别人改了"}, "更正", actor="wang_admin")
    response = as_staff.post(f"/records/{record_id}/retract", data={"expected_version": version_of(page), "reason": "重复"})
    assert response.status_code == 409
    again = response.get_data(as_text=True)
    assert "别人改了" in again and "重复" in again
    assert version_of(again) == str(services(as_staff).ledger.get(record_id)["version"])
    assert not services(as_staff).ledger.get(record_id)["retracted"]
    assert as_staff.post(f"/records/{record_id}/retract",
                         data={"expected_version": version_of(again), "reason": "重复"}).status_code == 303
    assert services(as_staff).ledger.get(record_id)["retracted"]


def test_unknown_records_are_404_for_writes(as_staff):
    missing = "00000000-0000-4000-8000-000000000000"
    assert as_staff.get(f"/records/{missing}/correct").status_code == 404
    assert as_staff.post(f"/records/{missing}/retract", data={"reason": "x"}).status_code == 404


# --- who may write ---

@pytest.mark.parametrize("method, path", [
    ("get", "/log"), ("get", "/log/job_fair"), ("post", "/log/job_fair"),
    ("get", "/records/{id}/correct"), ("post", "/records/{id}/correct"),
    ("get", "/records/{id}/retract"), ("post", "/records/{id}/retract"),
])
def test_auditors_cannot_write(client, method, path):
    from tests.conftest import login
    login(client, "staff")
    record_id = log_job_fair(client)
    client.post("/logout")
    login(client, "auditor")
    response = getattr(client, method)(path.format(id=record_id), data=job_fair_form("k" * 32, reason="x",
                                                                                       expected_version="1"))
    assert response.status_code == 403
    assert stored_count(client) == 1 and len(services(client).ledger.history(record_id)) == 1


def test_auditors_read_without_write_buttons(client):
    from tests.conftest import login
    login(client, "staff")
    record_id = log_job_fair(client)
    client.post("/logout")
    login(client, "auditor")
    page = client.get(f"/records/{record_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "2020 年春季网络招聘会" in text and f"/records/{record_id}/correct" not in text
    assert client.get("/records").status_code == 200


def test_pages_need_a_login(client):
    for path in ("/log", "/log/job_fair", "/records"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- CSRF ---

def test_a_form_post_without_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    name = USER_OF_ROLE["staff"]
    logged_in = client.post("/login", data={"name": name, "password": PASSWORDS["staff"], "csrf_token": token})
    assert logged_in.status_code == 302
    page = client.get("/log/job_fair").get_data(as_text=True)
    key = key_of(page)
    refused = client.post("/log/job_fair", data=job_fair_form(key))
    assert refused.status_code == 400
    assert stored_count(client) == 0 and exported(client) == []
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    accepted = client.post("/log/job_fair", data=job_fair_form(key, csrf_token=token))
    assert accepted.status_code == 303
    assert stored_count(client) == 1
