"""Admin pages: the users list and adding a user (password shown once)."""
from __future__ import annotations

import re

from tests.conftest import PASSWORDS, USERS


def test_users_page_admin_only(client, as_admin):
    body = as_admin.get("/admin/users")
    assert body.status_code == 200
    text = body.get_data(as_text=True)
    for name in USERS:
        assert f'data-name="{name}"' in text
    assert 'name="csrf_token"' in text


def test_users_page_forbidden_to_staff_and_auditor(app):
    for role in ("staff", "auditor"):
        client = app.test_client()
        name = {r: n for n, r in USERS.items()}[role]
        assert client.post("/login", data={"name": name, "password": PASSWORDS[role]}).status_code == 302
        assert client.get("/admin/users").status_code == 403
        assert client.post("/admin/users", data={"name": "x_user", "role": "admin"}).status_code == 403
    assert app.extensions["taizhang"].accounts.get("x_user") is None


def test_users_page_redirects_anonymous_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.post("/admin/users", data={"name": "x", "role": "staff"}).status_code == 302


def test_admin_link_in_navigation(as_admin):
    assert 'href="/admin/users"' in as_admin.get("/summary/2020").get_data(as_text=True)


def test_add_user_shows_password_once_and_the_user_can_log_in(app, as_admin):
    response = as_admin.post("/admin/users", data={"name": "chen_staff", "role": "auditor"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    password = re.search(r'<code class="password">([^<]+)</code>', text).group(1)
    assert 'data-name="chen_staff"' in text
    assert app.extensions["taizhang"].accounts.get("chen_staff").role == "auditor"
    # shown once: the list page does not show it again
    assert password not in as_admin.get("/admin/users").get_data(as_text=True)

    other = app.test_client()
    assert other.post("/login", data={"name": "chen_staff", "password": password}).status_code == 302
    assert other.get("/summary/2020").status_code == 200


def test_duplicate_name_is_422_next_to_the_field(as_admin):
    response = as_admin.post("/admin/users", data={"name": "li_staff", "role": "staff"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert re.search(r'<span class="field-error" id="name-error">[^<]*li_staff', text)
    assert 'class="password"' not in text


def test_bad_role_and_empty_name_are_422(as_admin):
    response = as_admin.post("/admin/users", data={"name": "", "role": "root"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'id="name-error"' in text and 'id="role-error"' in text


def test_add_user_needs_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"name": "wang_admin", "password": PASSWORDS["admin"],
                                       "csrf_token": token}).status_code == 302
    assert client.post("/admin/users", data={"name": "no_token", "role": "staff"}).status_code == 400
    page = client.get("/admin/users").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/admin/users", data={"name": "with_token", "role": "staff", "csrf_token": token})
    assert response.status_code == 200
    assert csrf_app.extensions["taizhang"].accounts.get("with_token") is not None
    assert csrf_app.extensions["taizhang"].accounts.get("no_token") is None
