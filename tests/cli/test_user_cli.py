"""taizhang user add / list / token / ensure-admin."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from scripts.cli import cli
from service.accounts import Accounts


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("TAIZHANG_DATA", str(tmp_path))
    return tmp_path


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_add_prints_the_generated_password_once(data):
    result = run("user", "add", "li", "--role", "staff")
    assert result.exit_code == 0, result.output
    password = result.stdout.strip()
    assert len(password) >= 8 and "\n" not in password
    assert Accounts(data).verify("li", password).role == "staff"


def test_add_with_password_from_stdin(data):
    result = run("user", "add", "zhao", "--role", "auditor", "--password-stdin", input="s3cret-pass-x\n")
    assert result.exit_code == 0, result.output
    assert "s3cret-pass-x" not in result.output
    assert Accounts(data).verify("zhao", "s3cret-pass-x").role == "auditor"


def test_add_refusals(data):
    assert run("user", "add", "li", "--role", "staff").exit_code == 0
    duplicate = run("user", "add", "li", "--role", "admin")
    assert duplicate.exit_code == 1 and "li" in duplicate.output
    assert run("user", "add", "x", "--role", "root").exit_code == 2
    assert run("user", "add", "y", "--role", "staff", "--password-stdin", input="short\n").exit_code == 1
    assert run("user", "add", "z", "--role", "staff", "--password-stdin", input="").exit_code == 2
    assert [u.name for u in Accounts(data).all()] == ["li"]


def test_list(data):
    run("user", "add", "wang", "--role", "admin")
    run("user", "add", "li", "--role", "staff")
    result = run("user", "list")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["li\tstaff\t*", "wang\tadmin\t*"]  # * : no unit, the whole ledger


def test_token(data):
    run("user", "add", "li", "--role", "staff")
    result = run("user", "token", "li")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert Accounts(data).for_token(token).name == "li"
    assert run("user", "token", "nobody").exit_code == 1


def test_ensure_admin_only_when_no_user_exists(data):
    first = run("user", "ensure-admin")
    assert first.exit_code == 0
    line = first.stdout.strip()
    assert line.startswith("admin login: admin / ")
    password = line.rsplit(" / ", 1)[1]
    assert Accounts(data).verify("admin", password).is_admin
    second = run("user", "ensure-admin")
    assert second.exit_code == 0 and second.output == ""


def test_ensure_admin_silent_when_other_users_exist(data):
    run("user", "add", "li", "--role", "staff")
    result = run("user", "ensure-admin")
    assert result.exit_code == 0 and result.output == ""
    assert Accounts(data).get("admin") is None
