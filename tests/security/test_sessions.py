"""Browser sessions carry a server-side id: a cookie kept from before logout or a password change opens nothing."""
from __future__ import annotations

from tests.conftest import login


def _session_cookie(client):
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_cookie_saved_before_logout_does_not_open_records_after_it(client):
    login(client, "staff")
    assert client.get("/records").status_code == 200
    saved = _session_cookie(client)
    client.post("/logout")
    client.set_cookie("session", saved)  # replay the cookie from before the logout
    response = client.get("/records")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_password_change_ends_the_sessions_of_that_user(app, client):
    login(client, "staff")
    assert client.get("/records").status_code == 200
    app.extensions["taizhang"].accounts.set_password("li_staff", "a-new-password-9")
    assert client.get("/records").status_code == 302


def test_logging_in_again_after_logout_works(client):
    login(client, "staff")
    client.post("/logout")
    login(client, "staff")
    assert client.get("/records").status_code == 200
