"""The Chinese catalogue: complete, compiled, in step with the sources, and what the pages show.

UI strings are English msgids (flask-babel ``_()`` in api/*.py, ``{{ _('…') }}`` in the templates);
zh_CN is the default locale, so every msgid needs its Chinese. The catalogue lives in
``api/translations/zh/`` (not ``zh_CN/``): flask-babel asks Babel for ``zh_Hans_CN`` (what
``Locale.parse("zh_CN")`` names itself), and gettext looks for that folder, then ``zh``. The ``zh``
folder serves both names.

After changing a UI string::

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o api/translations/messages.pot .
    .venv/bin/pybabel update -i api/translations/messages.pot -d api/translations -l zh
    (translate the new entries in api/translations/zh/LC_MESSAGES/messages.po, no fuzzy left)
    .venv/bin/pybabel compile -d api/translations -l zh
"""
from __future__ import annotations

import configparser
import gettext
import glob
import html
import io
import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "api" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.mo"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}  # pybabel extract -k _l -k lazy_gettext
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w*)\}")

# English words of the page frame and the pages under test that must not show in Chinese.
ENGLISH_WORDS = ("Log out", "Log in", "Log work", "Ledger", "Summary", "Audit", "Users", "Work ledger",
                 "User name", "Password", "Save", "Filter", "Timeline", "Verify the chain", "Reason",
                 "Download", "required", "Previous", "Next")


def _id(message_id) -> str:
    return message_id[0] if isinstance(message_id, (tuple, list)) else message_id


def _read_po(path: Path):
    with open(path, "rb") as f:
        return read_po(f)


def _translations(data: bytes) -> dict:
    return dict(gettext.GNUTranslations(io.BytesIO(data))._catalog)


# --- the catalogue ----------------------------------------------------------------------------------

def test_every_msgid_of_the_template_has_a_chinese_translation_and_none_is_fuzzy():
    template = _read_po(POT)
    catalogue = _read_po(PO)
    assert not catalogue.fuzzy, "the catalogue's header is marked fuzzy"
    ids = [_id(m.id) for m in template if m.id]
    assert len(ids) > 100, "the template looks truncated"
    missing, fuzzy = [], []
    for msgid in ids:
        message = catalogue.get(msgid)
        strings = message.string if message else None
        strings = strings if isinstance(strings, (tuple, list)) else [strings]
        if message is None or not all(s and s.strip() for s in strings):
            missing.append(msgid)
        elif message.fuzzy:
            fuzzy.append(msgid)
    assert not missing, f"msgids without a zh translation in {PO.relative_to(ROOT)}: {missing}"
    assert not fuzzy, f"fuzzy translations (check them, then drop the flag): {fuzzy}"


def test_the_translations_keep_the_placeholders_and_pass_babels_checks():
    catalogue = _read_po(PO)
    assert catalogue.num_plurals == 1
    wrong = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else [message.id]
        strings = message.string if isinstance(message.string, (tuple, list)) else [message.string]
        wanted = {p for i in ids for p in PLACEHOLDER.findall(i)}
        for s in strings:
            if {p for p in PLACEHOLDER.findall(s)} != wanted:
                wrong.append((_id(message.id), s))
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"
    problems = [(_id(m.id), [str(e) for e in errors]) for m, errors in catalogue.check()]
    assert not problems, problems


def test_the_compiled_catalogue_is_up_to_date_with_the_po():
    catalogue = _read_po(PO)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    assert MO.exists(), f"{MO.relative_to(ROOT)} is missing: run pybabel compile -d api/translations -l zh"
    committed = _translations(MO.read_bytes())
    fresh = _translations(compiled.getvalue())
    stale = {k for k in set(committed) | set(fresh) if committed.get(k) != fresh.get(k)}
    assert not stale, f"messages.mo is stale, run pybabel compile -d api/translations -l zh: {sorted(stale, key=str)}"


def test_the_template_holds_every_msgid_of_the_sources():
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, filename=str(ROOT / "babel.cfg"))
    assert {pattern for pattern, _method in method_map} >= {"api/**.py", "api/templates/**.html"}
    in_sources = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        in_sources.setdefault(_id(message), f"{filename}:{lineno}")
    assert len(in_sources) > 100 and "Log out" in in_sources, "extraction found too little: check babel.cfg"
    template = {_id(m.id) for m in _read_po(POT) if m.id}
    missing = {msgid: where for msgid, where in in_sources.items() if msgid not in template}
    assert not missing, ("UI strings missing from messages.pot (extract, update, translate, compile; see this "
                         f"module's docstring): {missing}")


def test_the_package_ships_the_compiled_catalogue():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    data = config["options.package_data"]
    patterns = [p.strip() for key in ("*", "api") if key in data for p in data[key].replace("\n", ",").split(",")]
    shipped = {os.path.normpath(f) for p in patterns if p for f in glob.glob(str(ROOT / "api" / p), recursive=True)}
    for path in (MO, PO):
        assert os.path.normpath(str(path)) in shipped, f"setup.cfg's package_data leaves out {path.relative_to(ROOT)}"


# --- the pages ---------------------------------------------------------------------------------------

def text_of(response) -> str:
    page = response.get_data(as_text=True)
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


def english_words_in(text: str) -> list[str]:
    return [w for w in ENGLISH_WORDS if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", text)]


@pytest.fixture
def one_record(app):
    from scripts.demo import demo_payloads

    payload = next(p for p in demo_payloads() if p["kind"] == "job_fair")
    return app.extensions["taizhang"].ledger.log(payload, actor="li_staff").id


def staff_pages(record_id) -> dict[str, list[str]]:
    """Pages a staff member sees, with Chinese each must show by default."""
    return {
        "/log/job_fair": ["登记工作", "保存", "标 * 的为必填项", "退出", "台账", "工作总结"],
        "/records": ["台账", "筛选", "登记人", "共 1 条记录", "包括已撤销的记录"],
        f"/records/{record_id}": ["更正", "撤销", "历史记录", "记录时间"],
        "/summary/2020": ["下载", "本节指标及其来源", "各月工作数"],
    }


def test_the_login_page_is_chinese_by_default_and_english_on_request(client):
    page = text_of(client.get("/login"))
    assert "登录" in page and "用户名" in page and "密码" in page
    assert english_words_in(page) == []
    assert 'lang="zh-CN"' in client.get("/login").get_data(as_text=True)
    english = text_of(client.get("/login?lang=en"))
    assert "Log in" in english and "User name" in english and "登录" not in english
    assert "Log in" in text_of(client.get("/login")), "?lang=en is kept for the session"


def test_a_failed_login_and_the_logout_message_are_chinese(client):
    refused = client.post("/login", data={"name": "li_staff", "password": "wrong-password"})
    assert refused.status_code == 401 and "用户名或密码错误" in text_of(refused)
    login(client, "staff")
    response = client.post("/logout", follow_redirects=True)
    assert "您已退出登录" in text_of(response)


def test_staff_pages_are_chinese_by_default(as_staff, one_record):
    for url, words in staff_pages(one_record).items():
        response = as_staff.get(url)
        assert response.status_code == 200, url
        page = text_of(response)
        assert [w for w in words if w not in page] == [], url
        assert english_words_in(page) == [], url


def test_staff_pages_are_english_after_the_language_switch(as_staff, one_record):
    switched = as_staff.get("/lang/en?next=/records")
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/records")
    records = text_of(as_staff.get("/records"))
    assert "Log out" in records and "Ledger" in records and "Include retracted records" in records
    assert "退出" not in records and "筛选" not in records
    form = text_of(as_staff.get("/log/job_fair"))
    assert "Log work" in form and "Fields marked * are required." in form and "保存" not in form
    summary = text_of(as_staff.get("/summary/2020"))
    assert "Download" in summary and "Actions per month" in summary and "各月工作数" not in summary
    back = as_staff.get("/lang/zh_CN?next=/records")
    assert back.status_code == 302 and "退出" in text_of(as_staff.get("/records"))


def test_the_summary_as_it_stood_names_its_moment_in_either_language(as_staff, one_record):
    page = text_of(as_staff.get("/summary/2020?as_of=1"))
    assert "截至 1" in page and "（位置 1）" in page
    english = text_of(as_staff.get("/summary/2020?as_of=1&lang=en"))
    assert "As of 1" in english and "(position 1)" in english and "截至" not in english


def test_the_audit_pages_are_chinese_by_default_and_english_on_request(client, one_record):
    login(client, "auditor")
    for url, words in {"/audit/": ["审计时间线", "时间线", "操作人", "共 1 项操作，1 个存储事件", "登记", "1 个存储事件"],
                       "/audit/?view=events": ["原始视图：全部存储事件", "共 1 项操作，1 个存储事件", "链哈希"],
                       "/audit/verify": ["校验哈希链", "链头", "位于位置", "尚无已关闭的年度"],
                       "/audit/summary/2020": ["2020 年工作总结审计", "未关闭", "全部指标"],
                       f"/audit/records/{one_record}": ["记录的完整经过", "登记时内容"]}.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = text_of(response)
        assert [w for w in words if w not in page] == [], url
        assert english_words_in(page) == [], url
    english = text_of(client.get("/audit/?lang=en"))
    assert "The ledger as a timeline" in english and "Log out" in english and "审计时间线" not in english
