"""The composition root: the one place that builds taizhang's services from settings.

The web app factory (api/app.py), every CLI command (scripts/cli.py) and the bench (scripts/bench*.py)
call ``bootstrap()``; nothing else constructs a Ledger, Reports or Accounts (tests/test_bootstrap.py
checks the source tree for it). Like cosmicpython's bootstrap.py it is the only module that sees
every adapter at once: it is the one stated exception to "service does not import projections"
(the ``ignore_imports`` line of the layers contract in setup.cfg), and it holds no rule of its own —
the rules live in the use cases (service/audit.py, service/ledger.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from projections.reports import Reports
from service.accounts import Accounts
from service.ledger import Ledger, data_folder
from service.sheet_store import SheetStore
from service.signing import PUBLIC_KEY_VARIABLE, SIGNING_KEY_VARIABLE, Signer, Verifier

SEAL_KEY_VARIABLE = "TAIZHANG_SEAL_KEY"


@dataclass(frozen=True)
class Settings:
    """What the services are built from.

    ``data``: the folder of the SQLite files (ledger, read model, accounts); ``ledger_env``: the
    eventsourcing environment over the defaults (e.g. ``PERSISTENCE_MODULE=eventsourcing.postgres``);
    the seal key is read from the environment each time it is needed, never stored or cached, so
    it can be set or rotated without a restart and never reaches the database.
    """

    data: Path
    ledger_env: Mapping[str, Any] = field(default_factory=dict)
    seal_key_variable: str = SEAL_KEY_VARIABLE
    projection_batch: int = 2000
    views: Path | None = None  # the read model's folder when not ``data`` (the bench rebuilds into a fresh one)

    @classmethod
    def from_env(cls, data: str | Path | None = None, ledger_env: Mapping[str, Any] | None = None,
                 **overrides: Any) -> "Settings":
        """Settings from the process environment (``TAIZHANG_DATA``, else ``./var``), ``data`` first."""
        folder = data_folder({"TAIZHANG_DATA": str(data)} if data else None)
        return cls(data=folder, ledger_env=dict(ledger_env or {}), **overrides)

    def seal_key(self) -> bytes | None:
        key = os.environ.get(self.seal_key_variable)
        return key.encode() if key else None

    def signer(self) -> Signer | None:
        """The Ed25519 signer key, read from its file (outside the database) each time it is needed."""
        path = os.environ.get(SIGNING_KEY_VARIABLE)
        return Signer.parse(Path(path).read_text(encoding="utf-8")) if path else None

    def verifier(self) -> Verifier | None:
        """The public key checkpoints and seals are checked with: its own file, else the signer's."""
        path = os.environ.get(PUBLIC_KEY_VARIABLE)
        if path:
            return Verifier.parse(Path(path).read_text(encoding="utf-8"))
        signer = self.signer()
        return signer.verifier if signer else None


@dataclass
class Services:
    """Everything an entry point needs, built once."""

    settings: Settings
    ledger: Ledger
    reports: Reports
    accounts: Accounts
    sheets: SheetStore  # a sheet import's uploads and remembered column mappings (settings.sqlite)


def bootstrap(settings: Settings | None = None) -> Services:
    """Build the ledger (event store), its read model and the accounts from ``settings``."""
    settings = settings or Settings.from_env()
    env = {"TAIZHANG_DATA": str(settings.data), **settings.ledger_env}
    ledger = Ledger(env)
    reports = Reports(ledger.recorder, settings.views or settings.data, batch=settings.projection_batch, owner=ledger)
    return Services(settings=settings, ledger=ledger, reports=reports, accounts=Accounts(settings.data),
                    sheets=SheetStore(settings.data))
