"""Storage faults: a full disk and a read-only data folder.

Writes answer 503 with a plain Chinese/English message and store nothing; reads keep answering from
what is there; /healthz says unhealthy with the reason; a full disk that is freed takes writes again
without a restart. The full disk is a small tmpfs (needs root and mount); the read-only folder is a
read-only bind mount (root) or chmod (not root: chmod does not stop root). Where the machine allows
neither, the test is skipped with the reason printed — and fails under CI=true.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PASSWORDS
from tests.helpers import valid_payload

IS_ROOT = os.geteuid() == 0


def _unavailable(reason: str):
    print(f"SKIPPED storage fault test: {reason}")
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and the storage fault test cannot run here: {reason}")
    pytest.skip(reason)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True)


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "6m"):
    path.mkdir(parents=True, exist_ok=True)
    if not IS_ROOT or not shutil.which("mount"):
        _unavailable("mounting a small tmpfs needs root and mount(8)")
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    if done.returncode:
        _unavailable(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        _run("umount", "-l", str(path))


def make_app(folder: Path):
    from api import create_app

    app = create_app({"TESTING": True, "TAIZHANG_DATA": str(folder), "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "test-secret"})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a storage fault must be answered, not raised
    return app


def seed(app) -> str:
    """Three records of 2020 and a staff user; answers the staff's API token."""
    accounts = app.extensions["taizhang"].accounts
    accounts.add("li_staff", "staff", PASSWORDS["staff"])
    token = accounts.issue_token("li_staff")
    client = app.test_client()
    for i in range(3):
        response = client.post("/api/actions", json=valid_payload("problem", f"seed-{i}", title=f"种子问题{i}",
                                                                   occurred_on="2020-03-0%d" % (i + 1)),
                               headers=auth(token))
        assert response.status_code == 201
    # a read folds the log into the read models; reads during a fault answer from what was folded
    assert client.get("/api/actions", headers=auth(token)).get_json()["total"] == 3
    return token


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_writes_refused_reads_kept(app, token: str, reason: str) -> None:
    api = app.test_client()
    response = api.post("/api/actions", json=valid_payload("problem", "during-fault", occurred_on="2020-04-01"),
                        headers=auth(token))
    body = response.get_json()
    print(f"write during {reason}: {response.status_code} {body}")
    assert response.status_code == 503
    assert set(body) >= {"code", "status", "message"} and body["code"] == 503
    assert "无法写入" in body["message"] and "cannot be written" in body["message"] and reason in body["message"]
    assert response.headers.get("Retry-After")

    listing = api.get("/api/actions", headers=auth(token))
    assert listing.status_code == 200 and listing.get_json()["total"] == 3
    assert api.get("/api/summary/2020", headers=auth(token)).status_code == 200
    assert api.get("/login").status_code == 200
    health = api.get("/healthz")
    print(f"/healthz during {reason}: {health.status_code} {health.get_json()}")
    assert health.status_code == 503
    assert health.get_json()["status"] == "unhealthy" and reason in health.get_json()["reason"]

    page = app.test_client()
    login = page.post("/login", data={"name": "li_staff", "password": PASSWORDS["staff"]})
    assert login.status_code == 503  # a login counts attempts: it is a write, refused plainly
    assert "稍后重试" in login.get_data(as_text=True)  # the page speaks Chinese by default


def test_a_full_disk_refuses_writes_keeps_reads_and_recovers(tmp_path):
    with tmpfs(tmp_path / "data") as folder:
        app = make_app(folder)
        token = seed(app)
        web = app.test_client()
        assert web.post("/login", data={"name": "li_staff", "password": PASSWORDS["staff"]}).status_code == 302
        filler = folder / "filler"
        with open(filler, "wb") as f:
            with pytest.raises(OSError) as full:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
        assert full.value.errno == errno.ENOSPC
        assert_writes_refused_reads_kept(app, token, "disk full")
        records = web.get("/records")  # a page of a session opened before the fault
        assert records.status_code == 200 and "种子问题2" in records.get_data(as_text=True)

        filler.unlink()  # space again: writes resume without a restart
        again = app.test_client().post("/api/actions", json=valid_payload("problem", "after-fault",
                                                                           occurred_on="2020-04-02"),
                                       headers=auth(token))
        assert again.status_code == 201
        assert app.test_client().get("/healthz").status_code == 200
        assert app.test_client().get("/api/actions", headers=auth(token)).get_json()["total"] == 4


@contextlib.contextmanager
def read_only(folder: Path, tmp_path: Path):
    """``folder``'s contents seen read-only: a read-only bind mount (root) or chmod a-w (not root)."""
    if IS_ROOT:
        view = tmp_path / "read-only-view"
        view.mkdir()
        steps = [("mount", "--bind", str(folder), str(view)), ("mount", "-o", "remount,bind,ro", str(view))]
        for step in steps:
            done = _run(*step)
            if done.returncode:
                _run("umount", "-l", str(view))
                _unavailable(f"cannot make a read-only bind mount ({' '.join(step)}): {done.stderr.strip()}")
        try:
            yield view
        finally:
            _run("umount", "-l", str(view))
    else:
        paths = [folder, *folder.iterdir()]
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(modes[p] & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        try:
            yield folder
        finally:
            for p in paths:
                p.chmod(modes[p])


def test_a_read_only_folder_refuses_writes_keeps_reads_and_recovers(tmp_path):
    folder = tmp_path / "data"
    token = seed(make_app(folder))
    with read_only(folder, tmp_path) as view:
        probe = view / "probe"
        try:
            probe.write_bytes(b"x")
        except OSError:
            pass
        else:
            probe.unlink()
            _unavailable("the read-only folder is writable here after all")
        app = make_app(view)
        assert_writes_refused_reads_kept(app, token, "read-only")
        if IS_ROOT:  # writable again: writes resume without a restart
            done = _run("mount", "-o", "remount,bind,rw", str(view))
            assert done.returncode == 0, done.stderr
        else:
            for p in [folder, *folder.iterdir()]:
                p.chmod(p.stat().st_mode | stat.S_IWUSR)
        again = app.test_client().post("/api/actions", json=valid_payload("problem", "after-read-only",
                                                                           occurred_on="2020-04-03"),
                                       headers=auth(token))
        assert again.status_code == 201, again.get_json()
        assert app.test_client().get("/healthz").status_code == 200
        assert app.test_client().get("/api/actions", headers=auth(token)).get_json()["total"] == 4


def test_storage_faults_are_told_apart_from_bugs():
    import sqlite3

    from eventsourcing.persistence import OperationalError

    from projections.faults import storage_fault

    try:
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.OperationalError as e:
            raise OperationalError(e) from e
    except OperationalError as wrapped:
        assert storage_fault(wrapped) == "disk full"
    assert storage_fault(OSError(errno.EROFS, "Read-only file system")) == "read-only"
    assert storage_fault(sqlite3.OperationalError("no such table: users")) is None
    assert storage_fault(ValueError("database or disk is full")) is None
