"""Audit use cases with their rules: verify the ledger, close (seal) a year.

The CLI (``taizhang verify`` / ``taizhang close``), the audit pages and the JSON API all call these
functions, so a rule holds at every entry point and a refusal reads the same everywhere: each
refusal carries its Chinese and English text and the HTTP status the web answers with.

``services`` is what ``service.bootstrap.bootstrap()`` builds; its ``reports`` (the read model and
hash chain of projections/) is used through the methods below only, never imported here.
"""
from __future__ import annotations

import base64
from typing import Any

from domain import merkle
from domain.chain import entry_bytes
from domain.years import YearAlreadyClosed, seal_is_valid
from service.evidence import EVIDENCE_TOPICS, check_files
from service.readback import ReadBack
from service.scope import EVERYTHING, Scope
from service.signing import (
    PUBLIC_KEY_VARIABLE,
    SIGNING_KEY_VARIABLE,
    Checkpoint,
    NoteError,
    Verifier,
    read_checkpoint,
)

PROOF_FORMAT = "taizhang-inclusion-proof/1"


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


def verify(services: Any, checkpoint: dict | None = None, signed: str | None = None):
    """Recompute the chain from the raw rows against the links the store wrote with each event; check
    store integrity, that every event reads back, the seals (signed ones with the public key, older ones
    by their HMAC with the key when set), an unsigned checkpoint (``checkpoint``) and a signed one
    (``signed``, its note text: RFC 9162 tree head and consistency). Reads only."""
    ledger = services.ledger
    wanted: set[int] = set()
    if signed:
        chain = _unverified_chain_line(signed)
        if chain:
            wanted.add(chain[0])
    result = services.reports.verify(checkpoint=checkpoint, integrity=ledger.integrity_check,
                                      contiguous_positions=ledger.is_sqlite, decode=_reads_back(ledger),
                                      heads_at=wanted, keep_topics=EVIDENCE_TOPICS)
    _check_seal_macs(result, services.settings.seal_key())
    verifier = services.settings.verifier()
    _check_signed_seals(result, verifier)
    if signed:
        if verifier is None:
            result.fail(None, f"the signed checkpoint cannot be checked: no public key ({PUBLIC_KEY_VARIABLE})")
        else:
            try:
                _check_tree(result, read_checkpoint(signed, verifier), "the signed checkpoint")
            except NoteError as e:
                result.fail(None, f"the signed checkpoint is refused: {e}")
    check_files(services, result)  # every live attachment's file against its digest, from the log just read
    result.sort()
    return result


def _reads_back(ledger: Any) -> ReadBack:
    """``decode`` for the chain's verify: does each event read back as the application reads it
    (service/readback.py), its originator id converted as the recorder converts it."""
    recorder = ledger.recorder
    id_type = getattr(getattr(recorder, "datastore", None), "originator_id_type", "uuid")
    return ReadBack(ledger.mapper, getattr(recorder, "convert_originator_id", None), uuid_ids=id_type == "uuid")


def _unverified_chain_line(note: str) -> tuple[int, str] | None:
    try:
        words = Checkpoint.parse(note.partition("\n\n")[0] + "\n").extension("chain")
        return (int(words[0]), words[1]) if words else None
    except (NoteError, ValueError, IndexError):
        return None


def _check_tree(result: Any, cp: Checkpoint, label: str) -> None:
    """Does the store still hold the tree the signed checkpoint names, and extend it?"""
    have = len(result.leaves)
    if cp.size > have:
        result.fail(result.position + 1, f"{label} covers {cp.size} events, the store holds {have}: the tail "
                                         f"from position {result.position + 1} on was deleted")
        return
    if result.root(cp.size) != cp.root:
        result.fail(result.position_of_leaf(cp.size), f"{label}: the Merkle tree head over the first {cp.size} "
                                                      "events differs from the signed one: history before it was "
                                                      "rewritten")
        return
    chain = cp.extension("chain")
    if chain and len(chain) == 2 and result.heads.get(int(chain[0])) != chain[1]:
        result.fail(int(chain[0]), f"{label}: the chain at position {chain[0]} differs from the signed one")
        return
    if 0 < cp.size < have:  # the RFC 9162 consistency proof an outside verifier would be given
        proof = merkle.consistency_proof(result.leaves, cp.size)
        if not merkle.verify_consistency(cp.size, have, cp.root, result.root(), proof):
            result.fail(result.position_of_leaf(cp.size), f"{label}: no consistency proof to the tree now")


def _check_signed_seals(result: Any, verifier: Verifier | None) -> None:
    for s in result.seals:
        if not s["note"]:
            continue
        where = f"seal of {s['organisation']} {s['year']}"
        if verifier is None:
            result.notes.append(f"{where}: signature not checked (no public key: {PUBLIC_KEY_VARIABLE})")
            continue
        try:
            cp = read_checkpoint(s["note"], verifier)
        except NoteError as e:
            result.fail(int(s["position"]), f"{where}: refused: {e}")
            continue
        if cp.extension("seal") != [s["organisation"], str(s["year"])] or \
                cp.extension("chain") != [str(s["position"]), s["head"]]:
            result.fail(int(s["position"]), f"{where}: the signed note is not this seal's")
            continue
        _check_tree(result, cp, where)


def signed_checkpoint(services: Any, extensions: tuple[str, ...] = ()) -> tuple[str, Any]:
    """A C2SP checkpoint of the ledger now, signed with the server's key, and the verification it rests on.

    Refused when there is no signing key, or the ledger does not verify (nothing vouched for is signed)."""
    signer = services.settings.signer()
    if signer is None:
        raise AuditRefused(503, f"服务器未设置签名密钥（{SIGNING_KEY_VARIABLE}），不能签发检查点。",
                           f"The signing key is not set ({SIGNING_KEY_VARIABLE}): no checkpoint can be signed.")
    result = verify(services)
    if not result.ok:
        raise AuditRefused(409, "台账校验未通过，不能签发检查点。", "The ledger does not verify: no checkpoint is signed.",
                           [str(p) for p in result.problems])
    cp = Checkpoint(signer.name, len(result.leaves), result.root(),
                    (f"chain {result.position} {result.head}", *extensions))
    return signer.sign(cp.text()), result


def export_checkpoint(services: Any) -> Any:
    """The checkpoint an exported summary names as its provenance: signed when the server has the key,
    else the chain head (unsigned JSON)."""
    if services.settings.signer() is None:
        return services.reports.checkpoint()
    return signed_checkpoint(services)[0]


def prove(services: Any, positions: list[int], checkpoint_note: str | None = None) -> dict:
    """RFC 9162 inclusion proofs of the events at ``positions`` against a signed checkpoint (the one given,
    else a new one): what ``taizhang verify-checkpoint`` checks offline with the public key alone."""
    if checkpoint_note:
        verifier = services.settings.verifier()
        if verifier is None:
            raise AuditRefused(503, "没有公钥，无法核对检查点。", f"No public key ({PUBLIC_KEY_VARIABLE}) to check the checkpoint.")
        result = verify(services, signed=checkpoint_note)
        cp = read_checkpoint(checkpoint_note, verifier)
        if not result.ok:
            raise AuditRefused(409, "台账校验未通过。", "The ledger does not verify.", [str(p) for p in result.problems])
    else:
        checkpoint_note, result = signed_checkpoint(services)
        cp = Checkpoint.parse(checkpoint_note.partition("\n\n")[0] + "\n")
    leaves = result.leaves[:cp.size]
    index = {p: i for i, p in enumerate(result.positions[:cp.size])}
    out = []
    for position in positions:
        if position not in index:
            raise AuditRefused(404, f"检查点中没有位置 {position} 的事件。",
                               f"No event at position {position} in the checkpoint's tree of {cp.size}.")
        n = services.ledger.recorder.select_notifications(start=position, limit=1)[0]
        entry = entry_bytes(n.id, n.originator_id, n.originator_version, n.topic, n.state)
        out.append({"position": position, "leaf_index": index[position], "topic": n.topic,
                    "entry": base64.b64encode(entry).decode(),
                    "proof": [base64.b64encode(h).decode() for h in merkle.inclusion_proof(leaves, index[position])]})
    return {"format": PROOF_FORMAT, "checkpoint": checkpoint_note, "tree_size": cp.size, "events": out}


def check_proof(doc: dict, verifier: Verifier) -> list[str]:
    """Offline, with the public key alone: the problems of a ``prove`` document (empty when it holds)."""
    cp = read_checkpoint(doc["checkpoint"], verifier)
    problems = []
    for e in doc["events"]:
        leaf = merkle.leaf_hash(base64.b64decode(e["entry"]))
        proof = [base64.b64decode(h) for h in e["proof"]]
        if not merkle.verify_inclusion(leaf, int(e["leaf_index"]), cp.size, proof, cp.root):
            problems.append(f"position {e['position']}: the inclusion proof does not lead to the signed tree head")
    return problems


def _check_seal_macs(result: Any, key: bytes | None) -> None:
    for s in result.seals:
        if not s["hmac"]:
            continue
        where = f"seal of {s['organisation']} {s['year']}"
        if key is None:
            result.notes.append(f"{where}: HMAC not checked (TAIZHANG_SEAL_KEY not given)")
        elif not seal_is_valid(key, s["organisation"], int(s["year"]), int(s["position"]), s["head"], s["hmac"]):
            result.fail(int(s["position"]), f"{where}: HMAC does not match: the seal was not made with the key")


def close_year(services: Any, year: int, organisation: str | None, actor: str | None,
               override_reason: str | None = None, scope: Scope = EVERYTHING) -> dict:
    """Seal ``year`` of ``organisation`` (default: the ledger's main one, or the admin's unit) at the
    current chain head. Every entry point that closes a year is an admin's (the CLI is the operator's).

    Refused (AuditRefused, nothing written) when the ledger is empty, the year was closed already, a
    unit below has not closed the year (unless ``override_reason`` gives the admin's reason, which the
    seal keeps), the organisation has no records that year, the seal key is not set, or the ledger does
    not verify. Answers the seal as the read model has it.
    """
    reports = services.reports
    reports.catch_up()
    organisation = organisation or scope.default_organisation(reports.default_organisation())
    if not organisation:
        raise AuditRefused(422, "台账为空，没有可关闭的年度。", "The ledger is empty: there is no year to close.")
    if not scope.may_read(organisation):
        raise AuditRefused(403, f"{scope.name} 的管理员不能关闭 {organisation} 的年度。",
                           f"An admin of {scope.name} cannot close {organisation}'s year.")
    if reports.seal(organisation, year):
        raise _closed_already(organisation, year)
    override_reason = (override_reason or "").strip()[:1000]
    open_children = reports.open_children(organisation, year)
    if open_children and not override_reason:  # bottom up: a city closes after every district under it
        raise AuditRefused(409, f"下级单位尚未关闭 {year} 年度：{'、'.join(open_children)}。未写入任何内容。"
                                "管理员确需先行关闭的，请填写原因（将记入封存记录）。",
                           f"Units below have not closed {year} yet: {', '.join(open_children)}. Nothing was "
                           "written. An admin who must close first gives the reason (the seal keeps it).",
                           open_children)
    reason = f"下级单位未关闭（{'、'.join(open_children)}）时关闭：{override_reason}" if open_children else ""
    if not any(reports.list_records(year=year, organisation=name, include_retracted=True, size=1)[1]
               for name in reports.covered(organisation)):
        raise AuditRefused(422, f"{organisation} 在 {year} 年没有记录，无需关闭。",
                           f"{organisation} has no records in {year}: nothing to close.")
    key = services.settings.seal_key()
    signer = services.settings.signer()
    if key is None and signer is None:
        variable = services.settings.seal_key_variable
        raise AuditRefused(503, f"服务器未设置签名密钥（{SIGNING_KEY_VARIABLE}）或封存密钥（{variable}），不能关闭年度。"
                                "未写入任何内容。",
                           f"Neither the signing key ({SIGNING_KEY_VARIABLE}) nor the seal key ({variable}) is set on "
                           "the server: a year cannot be closed without one. Nothing was written.")
    result = verify(services)
    if not result.ok:
        raise AuditRefused(409, "台账校验未通过，问题查清之前不能封存。未写入任何内容。",
                           "The ledger does not verify: it cannot be sealed until this is cleared up. "
                           "Nothing was written.", [str(p) for p in result.problems])
    position, head = result.position, result.head
    note = ""
    if signer is not None:
        note = signer.sign(Checkpoint(signer.name, len(result.leaves), result.root(),
                                      (f"chain {position} {head}", f"seal {organisation} {year}")).text())
    try:
        services.ledger.close_year(organisation, year, position, head, actor=actor, key=key, note=note, reason=reason)
    except YearAlreadyClosed:
        raise _closed_already(organisation, year) from None
    reports.catch_up()
    return reports.seal(organisation, year)


def _closed_already(organisation: str, year: int) -> AuditRefused:
    return AuditRefused(409, f"{organisation} {year} 年度已关闭。", f"{organisation} {year} was closed already.")
