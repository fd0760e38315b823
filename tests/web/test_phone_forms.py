"""The work form as a phone uses it, without JavaScript: today as the date, the organisation and date
kept for the same kind again, one more firm block per tap (nothing saved meanwhile), a pasted list of
firms, and 已保存 with 再登记一条同类工作 after saving."""
from __future__ import annotations

import re
from datetime import date
from uuid import UUID

from api.firm_list import parse_firm_list
from domain.uscc import make_uscc
from tests.web.test_forms import filled_form, job_fair_form, key_of, services

CODE = make_uscc(7)


def test_a_new_form_is_dated_today_and_the_query_keeps_organisation_and_date(as_staff):
    page = as_staff.get("/log/job_fair").get_data(as_text=True)
    assert f'name="occurred_on" value="{date.today().isoformat()}"' in page
    page = as_staff.get("/log/job_fair?organisation=江岸区工商联&occurred_on=2021-04-03").get_data(as_text=True)
    assert 'name="organisation" value="江岸区工商联"' in page and 'name="occurred_on" value="2021-04-03"' in page
    page = as_staff.get("/log/job_fair?occurred_on=not-a-date").get_data(as_text=True)
    assert f'name="occurred_on" value="{date.today().isoformat()}"' in page


def test_number_fields_open_the_numeric_keyboard(as_staff):
    page = as_staff.get("/log/job_fair").get_data(as_text=True)
    assert re.search(r'name="posts"[^>]*inputmode="numeric"', page)
    assert re.search(r'name="amount"[^>]*inputmode="decimal"', as_staff.get("/log/donation").get_data(as_text=True))
    assert re.search(r'name="for_year"[^>]*inputmode="numeric"', as_staff.get("/log/target").get_data(as_text=True))


def test_one_more_firm_adds_a_block_keeps_the_input_and_saves_nothing(as_staff):
    ledger = services(as_staff).ledger
    key = key_of(as_staff.get("/log/job_fair").get_data(as_text=True))
    form = job_fair_form(key, firm_name=["甲公司", "乙公司"], firm_uscc=["", ""], more_firms="1")
    response = as_staff.post("/log/job_fair", data=form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('name="firm_name"') == 3
    assert 'value="甲公司"' in page and 'value="乙公司"' in page and 'value="2020 年春季网络招聘会"' in page
    assert f'name="key" value="{key}"' in page
    assert list(ledger.export_lines()) == []  # nothing was stored
    again = as_staff.post("/log/job_fair", data=filled_form(page, more_firms="1"))
    assert again.get_data(as_text=True).count('name="firm_name"') == 4


def test_a_pasted_list_becomes_firms():
    text = "1. 武汉甲有限公司\r\n（2）武汉乙有限公司 " + CODE.lower() + "\n\n• 武汉丙有限公司\t" + CODE + "\n" + CODE + "\n"
    assert parse_firm_list(text) == [{"name": "武汉甲有限公司", "uscc": ""}, {"name": "武汉乙有限公司", "uscc": CODE},
                                     {"name": "武汉丙有限公司", "uscc": CODE}, {"name": "", "uscc": CODE}]
    assert parse_firm_list("") == [] and parse_firm_list(None) == []


def test_a_pasted_list_is_logged_after_the_filled_blocks(as_staff):
    key = key_of(as_staff.get("/log/job_fair").get_data(as_text=True))
    form = job_fair_form(key, firm_name=["武汉块一有限公司", ""], firm_uscc=["", ""],
                         firm_list="武汉粘贴一有限公司\n武汉粘贴二有限公司\n")
    response = as_staff.post("/log/job_fair", data=form)
    assert response.status_code == 303
    record_id = UUID(response.headers["Location"].rsplit("/", 1)[1])
    firms = services(as_staff).ledger.get(record_id)["firms"]
    assert [f["name"] for f in firms] == ["武汉块一有限公司", "武汉粘贴一有限公司", "武汉粘贴二有限公司"]


def test_after_saving_the_page_says_saved_and_offers_the_same_kind_again(as_staff):
    key = key_of(as_staff.get("/log/job_fair").get_data(as_text=True))
    response = as_staff.post("/log/job_fair", data=job_fair_form(key, organisation="江岸区工商联"))
    page = as_staff.get(response.headers["Location"]).get_data(as_text=True)
    saved = page[page.index('id="saved"'):page.index("</section>", page.index('id="saved"'))]
    assert "已保存" in saved and "再登记一条同类工作" in saved
    link = re.search(r'href="([^"]+)"', saved).group(1).replace("&amp;", "&")
    assert link.startswith("/log/job_fair?")
    again = as_staff.get(link).get_data(as_text=True)
    assert 'name="organisation" value="江岸区工商联"' in again and 'name="occurred_on" value="2020-05-12"' in again
    assert 'name="title" value=""' in again
    # the next visit of the record's page is no longer "just saved"
    assert 'id="saved"' not in as_staff.get(response.headers["Location"]).get_data(as_text=True)


def test_one_more_firm_on_the_correct_form_keeps_the_reason_and_the_version(as_staff):
    key = key_of(as_staff.get("/log/job_fair").get_data(as_text=True))
    record_id = as_staff.post("/log/job_fair", data=job_fair_form(key)).headers["Location"].rsplit("/", 1)[1]
    page = as_staff.get(f"/records/{record_id}/correct").get_data(as_text=True)
    response = as_staff.post(f"/records/{record_id}/correct", data=filled_form(page, reason="补录企业", more_firms="1"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('name="firm_name"') == 4  # two firms + the empty block + one more
    assert "补录企业" in page and 'name="expected_version" value="1"' in page
    assert services(as_staff).ledger.get(UUID(record_id))["version"] == 1
