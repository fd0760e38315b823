"""The composition root (service/bootstrap.py) is the one place that builds the services."""
from __future__ import annotations

import ast
from pathlib import Path

from click.testing import CliRunner

from service.bootstrap import Services, Settings, bootstrap

ROOT = Path(__file__).resolve().parent.parent
BUILT = {"Ledger", "Reports", "Accounts"}


def constructions() -> dict[str, list[str]]:
    """Every call of Ledger(…), Reports(…) or Accounts(…) in the shipped packages: file → [class:line]."""
    found: dict[str, list[str]] = {}
    for package in ("api", "scripts", "service", "projections", "domain"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    if name in BUILT:
                        found.setdefault(str(path.relative_to(ROOT)), []).append(f"{name}:{node.lineno}")
    return found


def test_only_the_composition_root_constructs_the_ledger_the_reports_and_the_accounts():
    found = constructions()
    assert set(found) == {"service/bootstrap.py"}, found
    assert sorted(c.split(":")[0] for c in found["service/bootstrap.py"]) == sorted(BUILT)


def test_the_web_app_serves_what_bootstrap_built_from_its_settings(tmp_path):
    from api import create_app

    app = create_app({"TESTING": True, "TAIZHANG_DATA": str(tmp_path / "data")})
    built = app.extensions["taizhang"]
    assert isinstance(built, Services)
    assert built.settings.data == tmp_path / "data"
    assert (tmp_path / "data" / "ledger.sqlite").exists() and (tmp_path / "data" / "views.sqlite").exists()


def test_the_cli_builds_its_services_once_per_command_on_its_data_folder(tmp_path, monkeypatch):
    import scripts.cli as cli_module

    seen = []
    real = cli_module.bootstrap

    def counting(settings=None):
        seen.append(settings)
        return real(settings)

    monkeypatch.setattr(cli_module, "bootstrap", counting)
    result = CliRunner().invoke(cli_module.cli, ["demo"], env={"TAIZHANG_DATA": str(tmp_path)},
                                catch_exceptions=False)
    assert result.exit_code == 0 and "added" in result.stdout
    assert len(seen) == 1
    again = bootstrap(Settings.from_env(tmp_path))
    assert again.ledger.recorder.max_notification_id() > 0  # what the command stored, under that folder


def test_the_seal_key_is_read_from_the_environment_each_time_and_never_kept(tmp_path, monkeypatch):
    settings = Settings.from_env(tmp_path)
    monkeypatch.delenv("TAIZHANG_SEAL_KEY", raising=False)
    assert settings.seal_key() is None
    monkeypatch.setenv("TAIZHANG_SEAL_KEY", "k1")
    assert settings.seal_key() == b"k1"
    assert "k1" not in repr(settings)
