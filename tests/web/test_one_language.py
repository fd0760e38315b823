"""The Chinese pages show Chinese only, the English pages English only: the service's messages are
written "中文 / English", and a page shows the half of its own language."""
from __future__ import annotations

import re

import pytest

from api.web.language import in_language
from domain.uscc import make_uscc
from tests.helpers import CJK, LATIN

BAD_CODE = make_uscc(3)[:-1] + ("0" if make_uscc(3)[-1] != "0" else "1")


def error_text(page: str) -> str:
    """The text of the error summary and of every message next to an input (tags stripped)."""
    parts = re.findall(r'<div class="form-errors"[^>]*>(.*?)</div>', page, re.S)
    parts += re.findall(r'<(?:span|p) class="field-error[^"]*"[^>]*>(.*?)</(?:span|p)>', page, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", p) for p in parts)


def bad_job_fair(client) -> str:
    page = client.get("/log/job_fair").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    response = client.post("/log/job_fair", data={
        "key": key, "organisation": "东西湖区工商联", "occurred_on": "2020-05-12", "ends_on": "2020-05-01",
        "title": "", "mode": "", "posts": "很多", "posts__approx": "", "seekers_matched": "-3",
        "seekers_matched__approx": "", "partner": "", "notes": "", "theme": "",
        "firm_name": ["武汉甲科技有限公司", ""], "firm_uscc": [BAD_CODE, ""]})
    assert response.status_code == 422
    return response.get_data(as_text=True)


def test_the_chinese_form_shows_its_errors_in_chinese_only(as_staff):
    text = error_text(bad_job_fair(as_staff))
    assert "必填" in text and "统一社会信用代码校验位不符" in text
    assert LATIN.findall(text) == [], text


def test_the_english_form_shows_its_errors_in_english_only(as_staff):
    as_staff.get("/lang/en")
    text = error_text(bad_job_fair(as_staff))
    assert "required" in text and "the check character of the code is wrong" in text
    # the markers a clerk types (余/多/近/约/以上/左右) are named as they are typed, in either language
    assert CJK.findall(text.replace("余/多/近/约/以上/左右", "")) == [], text


def test_a_page_header_names_the_role_in_the_page_language(as_staff):
    assert "工作人员 / staff" not in as_staff.get("/records").get_data(as_text=True)
    as_staff.get("/lang/en")
    page = as_staff.get("/records").get_data(as_text=True)
    assert "(staff)" in page and "工作人员" not in page


@pytest.mark.parametrize(("text", "zh", "en"), [
    ("必填 / required", "必填", "required"),
    ("必填 / required; 应为整数 / must be a whole number", "必填; 应为整数", "required; must be a whole number"),
    ("firms.0.uscc: 校验位不符 / the check character is wrong", "firms.0.uscc: 校验位不符",
     "firms.0.uscc: the check character is wrong"),
    ("no slash here", "no slash here", "no slash here"),
    ("a / b", "a / b", "a / b"),  # no Chinese before the slash: not a bilingual message
])
def test_one_side_of_a_bilingual_message(text, zh, en):
    assert in_language(text, zh=True) == zh
    assert in_language(text, zh=False) == en
