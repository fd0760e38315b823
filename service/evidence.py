"""Evidence use cases: attach a file to a record, remove it, read it back, check every stored file.

A file is accepted by its content, never by its name: PDF (``%PDF-``), PNG and JPEG by their magic
bytes, xlsx and docx by their zip structure (``xl/workbook.xml``, ``word/document.xml``). The size
limit is ``TAIZHANG_EVIDENCE_MAX_BYTES`` (default 10 MiB). The bytes are stored content-addressed
(SHA-256) under ``TAIZHANG_EVIDENCE_DIR``, else ``<data folder>/evidence/ab/abcdef…``, written to a
temporary file, synced and renamed before the attachment event is saved: an event never names bytes
that are not on disk, and an orphan file (a save that failed after it) is harmless.

A refusal is an ``EvidenceRefused`` (an ``InvalidInput``): messages by field, in Chinese and English,
and nothing is stored. ``services`` is what ``service.bootstrap.bootstrap()`` builds; the read model
is used through ``services.reports.evidence`` only.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterator
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from domain.errors import ConflictError, RecordRetracted
from domain.evidence import Evidence, EvidenceNotFound
from service.ledger import NAMESPACE
from service.schemas import InvalidInput
from service.scope import EVERYTHING, Scope

MAX_BYTES_VARIABLE = "TAIZHANG_EVIDENCE_MAX_BYTES"
FOLDER_VARIABLE = "TAIZHANG_EVIDENCE_DIR"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
FIELD = "file"
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", XLSX: ".xlsx", DOCX: ".docx"}
KINDS_TEXT = "PDF、PNG、JPEG、xlsx、docx"


class EvidenceRefused(InvalidInput):
    """A file that cannot be attached: nothing was stored."""


def max_bytes() -> int:
    """The size limit of one file, from the environment (read each time: it can change without a restart)."""
    try:
        return max(int(os.environ.get(MAX_BYTES_VARIABLE) or DEFAULT_MAX_BYTES), 1)
    except ValueError:
        return DEFAULT_MAX_BYTES


def folder(services: Any) -> Path:
    return Path(os.environ.get(FOLDER_VARIABLE) or Path(services.settings.data) / "evidence")


def blob_path(services: Any, digest: str) -> Path:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise EvidenceNotFound(None, digest)
    return folder(services) / digest[:2] / digest


def evidence_id(record_id: UUID | str) -> UUID:
    return uuid5(NAMESPACE, f"evidence:{record_id}")


def sniff(data: bytes) -> str | None:
    """The media type the bytes are, among those accepted; None for anything else."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
    return None


def _refuse(zh: str, en: str) -> EvidenceRefused:
    return EvidenceRefused({FIELD: [f"{zh} / {en}"]})


def check_upload(data: bytes | None, filename: str | None) -> str:
    """The media type of an upload, or EvidenceRefused naming the field (empty, too large, wrong type)."""
    if not data:
        if not filename:
            raise _refuse("请选择要上传的文件", "choose a file to upload")
        raise _refuse("文件为空", "the file is empty")
    limit = max_bytes()
    if len(data) > limit:
        raise _refuse(f"文件过大（上限 {_size_zh(limit)}）", f"the file is too large (at most {_size_en(limit)})")
    media_type = sniff(data)
    if media_type is None:
        raise _refuse(f"文件类型不支持，只接受 {KINDS_TEXT}（按文件内容判断）",
                      "this kind of file is not accepted: only PDF, PNG, JPEG, xlsx or docx (judged by the "
                      "content, not the name)")
    return media_type


def _size_zh(n: int) -> str:
    return f"{n / 1048576:g} MB" if n >= 1048576 else f"{n / 1024:g} KB" if n >= 1024 else f"{n} 字节"


def _size_en(n: int) -> str:
    return f"{n / 1048576:g} MB" if n >= 1048576 else f"{n / 1024:g} KB" if n >= 1024 else f"{n} bytes"


def clean_filename(filename: str | None, media_type: str) -> str:
    """The original name without folders or control characters, at most 200 characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip() or "file"
    return name[-200:] if len(name) > 200 else name


def _store(services: Any, digest: str, data: bytes) -> None:
    path = blob_path(services, digest)
    if path.exists() and path.stat().st_size == len(data):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _evidence(services: Any, record_id: UUID) -> Evidence:
    try:
        return services.ledger.repository.get(evidence_id(record_id))
    except AggregateNotFoundError:
        return Evidence._create(Evidence.Opened, id=evidence_id(record_id), record_id=str(record_id))


def attach(services: Any, record_id: UUID, data: bytes | None, filename: str | None, actor: str,
           scope: Scope = EVERYTHING) -> dict:
    """Attach a file to a record of the user's unit (RecordNotFound, RecordRetracted, OutOfScope,
    EvidenceRefused: nothing stored).

    Answers the attachment (digest, size, media_type, filename, created: False when these bytes were
    attached to the record already)."""
    record = services.ledger.get(record_id, scope=scope)  # RecordNotFound
    scope.check_write(record["organisation"])
    if record["retracted"]:
        raise RecordRetracted(f"record {record_id} was retracted")
    media_type = check_upload(data, filename)
    digest = hashlib.sha256(data).hexdigest()
    name = clean_filename(filename, media_type)
    _store(services, digest, data)
    for _attempt in range(10):
        agg = _evidence(services, record_id)
        created = agg.attach(digest=digest, size=len(data), media_type=media_type, filename=name, actor=actor)
        if not created:
            return {**agg.files[digest], "created": False}
        try:
            services.ledger.save(agg)
        except IntegrityError:
            continue  # another attachment to the same record meanwhile: again on the new state
        return {**agg.files[digest], "created": True}
    raise ConflictError(record_id, None, None)


def remove(services: Any, record_id: UUID, digest: str, reason: str, actor: str,
           scope: Scope = EVERYTHING) -> None:
    """Remove an attachment with a reason (it stays in the history); EvidenceNotFound when it is not there."""
    if not scope.everything:
        scope.check_write(services.ledger.get(record_id, scope=scope)["organisation"])
    reason = (reason or "").strip()
    if not reason:
        raise EvidenceRefused({"reason": ["请填写移除原因 / give the reason for the removal"]})
    for _attempt in range(10):
        agg = _evidence(services, record_id)
        agg.remove(digest=digest, reason=reason[:1000], actor=actor)
        try:
            services.ledger.save(agg)
        except IntegrityError:
            continue
        return
    raise ConflictError(record_id, None, None)


def read(services: Any, record_id: UUID, digest: str, scope: Scope = EVERYTHING) -> tuple[dict, Path]:
    """An attachment of a record as the read model has it, and the path of its bytes."""
    if not scope.everything:
        services.ledger.get(record_id, scope=scope)  # OutOfScope for another unit's record
    row = services.reports.evidence.attachment(str(record_id), digest)
    if row is None:
        raise EvidenceNotFound(record_id, digest)
    return row, blob_path(services, digest)


ATTACHED, REMOVED = get_topic(Evidence.EvidenceAttached), get_topic(Evidence.EvidenceRemoved)
EVIDENCE_TOPICS = frozenset((ATTACHED, REMOVED))  # what verify keeps of the raw log for check_files


def live_attachments(kept: Any) -> list[dict]:
    """The live attachments (not removed since), folded from the raw evidence events verify read
    ((position, topic, state), in order): record id, digest, file name and the attaching event's position.
    A state that does not read is skipped here (verify reports the row itself)."""
    live: dict[tuple[str, str], dict] = {}
    for position, topic, state in kept:
        try:
            data = json.loads(state)
            key = (str(data["record_id"]), str(data["digest"]))
            if topic == ATTACHED:
                live[key] = {"record_id": key[0], "digest": key[1], "filename": str(data["filename"]),
                             "position": position}
            elif topic == REMOVED:
                live.pop(key, None)
        except (TypeError, ValueError, KeyError):
            continue
    return sorted(live.values(), key=lambda row: row["position"])


def check_files(services: Any, result: Any) -> None:
    """The verify hook: every stored file of a live attachment must be there and match its digest.

    The attachments are folded from the evidence events of the log verify has just read and checked
    (``result.kept``, service/audit.py), not from the read model: that would need catching the read model
    up first (a write, the whole fold of every new event) and would trust the views file."""
    rows = live_attachments(result.kept)
    for row in rows:
        try:
            path = blob_path(services, row["digest"])
        except EvidenceNotFound:
            result.fail(row["position"], f"attachment of record {row['record_id']} names a malformed digest")
            continue
        if not path.is_file():
            result.fail(row["position"], f"the evidence file {row['filename']} of record {row['record_id']} "
                                         f"is missing ({row['digest'][:12]}…)")
            continue
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        if h.hexdigest() != row["digest"]:
            result.fail(row["position"], f"the evidence file {row['filename']} of record {row['record_id']} "
                                         f"was altered: its bytes no longer match the digest {row['digest'][:12]}…")
    if rows:
        result.notes.append(f"{len(rows)} evidence files checked against their SHA-256 digests")


class _Pipe(io.RawIOBase):
    """A write-only stream whose bytes are taken out as they come (zipfile writes to it unseekably)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


def _safe(text: str, limit: int = 60) -> str:
    cleaned = "".join("_" if c in '/\\:*?"<>|' or not c.isprintable() else c for c in text).strip(" .")
    return cleaned[:limit] or "_"


def bundle(services: Any, organisation: str, year: int) -> Iterator[bytes]:
    """A zip of a year's evidence, streamed: ``<date> <title>/<file name>`` per attachment, and
    ``manifest.csv`` (record, file, digest, size, who attached it; a missing file says so)."""
    import csv

    rows = services.reports.evidence.for_year(organisation, year)
    pipe = _Pipe()
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(["record_id", "occurred_on", "title", "path", "filename", "media_type", "size", "sha256",
                     "attached_by", "attached_at", "status"])
    used: set[str] = set()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_STORED) as z:
        for row in rows:
            folder_name = _safe(f"{row['occurred_on']} {row['title']}")
            stem, dot, ext = _safe(row["filename"], 120).rpartition(".")
            name = f"{folder_name}/{_safe(row['filename'], 120)}"
            n = 1
            while name in used:
                n += 1
                name = f"{folder_name}/{stem}-{n}{dot}{ext}" if dot else f"{folder_name}/{ext}-{n}"
            path = blob_path(services, row["digest"])
            status = "ok"
            if path.is_file():
                used.add(name)
                info = zipfile.ZipInfo(name, date_time=_zip_time(row["attached_at"]))
                with z.open(info, "w") as out, open(path, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 16), b""):
                        out.write(chunk)
                        yield pipe.take()
            else:
                status, name = "missing", ""
            writer.writerow([row["record_id"], row["occurred_on"], row["title"], name, row["filename"],
                             row["media_type"], row["size"], row["digest"], row["attached_by"], row["attached_at"],
                             status])
        z.writestr("manifest.csv", "\ufeff" + manifest.getvalue())
    yield pipe.take()


def _zip_time(iso: str | None) -> tuple:
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(iso or "")
    except ValueError:
        return (1980, 1, 1, 0, 0, 0)
    return (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)
