"""A firm's page: every action it took part in, across years, reached from a record's firm list."""
from __future__ import annotations

import html
import re

from tests.conftest import login
from tests.helpers import FIRM, OTHER_FIRM, valid_payload


def text_of(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_a_firms_page_lists_its_actions_across_years_by_code_and_by_name_only(app):
    ledger = app.extensions["taizhang"].ledger
    code_only_name = {"name": FIRM["name"]}  # the same firm, logged once by name without its code
    ledger.log(valid_payload("job_fair", key="fair-2020", title="春季招聘会", occurred_on="2020-05-12", ends_on=None,
                             firms=[FIRM, OTHER_FIRM]))
    ledger.log(valid_payload("job_fair", key="fair-2021", title="秋季招聘会", occurred_on="2021-09-01", ends_on=None,
                             firms=[code_only_name]))
    ledger.log(valid_payload("job_fair", key="fair-other", title="别家的招聘会", occurred_on="2021-10-01", ends_on=None,
                             firms=[OTHER_FIRM]))
    ledger.log(valid_payload("job_fair", key="fair-gone", title="撤销的招聘会", occurred_on="2021-11-01", ends_on=None,
                             firms=[FIRM]))
    from service.ledger import record_id_for
    ledger.retract(record_id_for("fair-gone"), "重复", actor="li_staff")

    client = app.test_client()
    login(client, "staff")
    record = client.get(f"/records/{record_id_for('fair-2020')}").get_data(as_text=True)
    link = re.search(r'href="(/firms\?[^"]*)">' + re.escape(FIRM["name"]), record)
    assert link, "the record's firm list links to the firm's page"
    page = client.get(html.unescape(link.group(1)))
    assert page.status_code == 200
    text = text_of(page)
    assert "春季招聘会" in text and "秋季招聘会" in text  # by code, and by name only
    assert "别家的招聘会" not in text and "撤销的招聘会" not in text
    assert "共 2 项工作，涉及 2 个年度" in text
    assert text.index("2021年") < text.index("2020年")  # newest year first

    by_name = text_of(client.get("/firms", query_string={"name": OTHER_FIRM["name"]}))
    assert "春季招聘会" in by_name and "别家的招聘会" in by_name and "秋季招聘会" not in by_name
    part = text_of(client.get("/firms", query_string={"name": OTHER_FIRM["name"][:3]}))
    assert "没有记录涉及该企业" in part  # part of a name is not the firm
    assert client.get("/firms").status_code == 400
