"""``taizhang backup`` while the ledger is being written: the copy, restored into a fresh folder, verifies and
holds every record acknowledged before the backup began."""
from __future__ import annotations

import shutil
import threading

import pytest
from click.testing import CliRunner

from scripts.cli import cli
from service.ledger import Ledger
from tests.helpers import valid_payload

ENV = {"PERSISTENCE_MODULE": None, "TAIZHANG_PERSISTENCE_MODULE": None, "TAIZHANG_SEAL_KEY": None,
       "TAIZHANG_SIGNING_KEY": None, "TAIZHANG_PUBLIC_KEY": None}


def run(folder, *args):
    return CliRunner().invoke(cli, list(args), env={**ENV, "TAIZHANG_DATA": str(folder)}, catch_exceptions=False)


@pytest.mark.slow
def test_a_backup_taken_under_concurrent_writes_restores_and_verifies_with_every_acknowledged_record(tmp_path):
    data = tmp_path / "data"
    assert run(data, "user", "add", "li_staff", "--role", "staff").exit_code == 0
    acknowledged: list = []
    lock, stop = threading.Lock(), threading.Event()

    def writer(n: int) -> None:
        ledger = Ledger({"TAIZHANG_DATA": str(data)})
        i = 0
        while not stop.is_set():
            logged = ledger.log(valid_payload("problem", key=f"w{n}-{i}"))
            with lock:
                acknowledged.append(logged.id)
            i += 1
        ledger.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    try:
        while len(acknowledged) < 200:
            threading.Event().wait(0.01)
        with lock:
            before = list(acknowledged)
        made = run(data, "backup", str(tmp_path / "backup"))
        with lock:
            during = len(acknowledged) - len(before)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert made.exit_code == 0, made.output
    assert "OK: the copy verifies" in made.stdout
    assert during > 0 or len(acknowledged) > len(before)  # the writers went on while it ran
    restored = tmp_path / "restored"  # the README's restore steps: the files into an empty data folder
    restored.mkdir()
    for name in ("ledger.sqlite", "accounts.sqlite"):
        shutil.copy(tmp_path / "backup" / name, restored / name)
    verified = run(restored, "verify")
    assert verified.exit_code == 0, verified.stderr
    ledger = Ledger({"TAIZHANG_DATA": str(restored)})
    missing = [rid for rid in before if not ledger._exists(rid)]
    ledger.close()
    assert missing == []
    users = run(restored, "user", "list")
    assert "li_staff" in users.stdout
    assert run(tmp_path / "data", "backup", str(tmp_path / "backup")).exit_code == 1  # never over a backup
