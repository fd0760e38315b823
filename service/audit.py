"""Audit use cases with their rules: verify the ledger, close (seal) a year.

The CLI (``taizhang verify`` / ``taizhang close``), the audit pages and the JSON API all call these
functions, so a rule holds at every entry point and a refusal reads the same everywhere: each
refusal carries its Chinese and English text and the HTTP status the web answers with.

``services`` is what ``service.bootstrap.bootstrap()`` builds; its ``reports`` (the read model and
hash chain of projections/) is used through the methods below only, never imported here.
"""
from __future__ import annotations

from typing import Any

from domain.years import YearAlreadyClosed
from service.evidence import check_files


class AuditRefused(Exception):
    """A use case refused: why, in Chinese and English, the status the web answers, and details."""

    def __init__(self, status: int, zh: str, en: str, problems: list[str] | None = None):
        super().__init__(f"{zh} / {en}")
        self.status = status
        self.zh = zh
        self.en = en
        self.problems = list(problems or [])

    def text(self, language: str = "zh") -> str:
        return self.zh if language.lower().startswith("zh") else self.en


def verify(services: Any, checkpoint: dict | None = None):
    """Recompute the chain from the raw rows; check store integrity, seals (with the key when set) and
    a checkpoint. Answers the read model's verification result (``ok``, ``problems``, ``notes``)."""
    ledger = services.ledger
    result = services.reports.verify(checkpoint=checkpoint, seal_key=services.settings.seal_key(),
                                     integrity=ledger.integrity_check, contiguous_positions=ledger.is_sqlite)
    check_files(services, result)  # every stored evidence file against its digest (service/evidence.py)
    return result


def close_year(services: Any, year: int, organisation: str | None, actor: str | None) -> dict:
    """Seal ``year`` of ``organisation`` (default: the ledger's main one) at the current chain head.

    Refused (AuditRefused, nothing written) when the ledger is empty, the year was closed already,
    the organisation has no records that year, the seal key is not set, or the ledger does not verify.
    Answers the seal as the read model has it.
    """
    reports = services.reports
    reports.catch_up()
    organisation = organisation or reports.default_organisation()
    if not organisation:
        raise AuditRefused(422, "台账为空，没有可关闭的年度。", "The ledger is empty: there is no year to close.")
    if reports.seal(organisation, year):
        raise _closed_already(organisation, year)
    if not reports.list_records(year=year, organisation=organisation, include_retracted=True, size=1)[1]:
        raise AuditRefused(422, f"{organisation} 在 {year} 年没有记录，无需关闭。",
                           f"{organisation} has no records in {year}: nothing to close.")
    key = services.settings.seal_key()
    if key is None:
        variable = services.settings.seal_key_variable
        raise AuditRefused(503, f"服务器未设置封存密钥（{variable}），不能关闭年度。未写入任何内容。",
                           f"The seal key is not set on the server ({variable}): a year cannot be closed "
                           "without it. Nothing was written.")
    result = verify(services)
    if not result.ok:
        raise AuditRefused(409, "台账校验未通过，问题查清之前不能封存。未写入任何内容。",
                           "The ledger does not verify: it cannot be sealed until this is cleared up. "
                           "Nothing was written.", [str(p) for p in result.problems])
    position, head = reports.chain_head()
    try:
        services.ledger.close_year(organisation, year, position, head, actor=actor, key=key)
    except YearAlreadyClosed:
        raise _closed_already(organisation, year) from None
    reports.catch_up()
    return reports.seal(organisation, year)


def _closed_already(organisation: str, year: int) -> AuditRefused:
    return AuditRefused(409, f"{organisation} {year} 年度已关闭。", f"{organisation} {year} was closed already.")
