"""An office's Excel (or CSV) 台账 read as ledger records: the sheet's rows, its columns mapped to a
kind's fields, every row turned into the payload ``taizhang import`` takes, every bad cell named.

The steps, shared by the CLI (``taizhang import FILE.xlsx --kind …``) and the web page
(api/web/sheet_import.py):

1. ``read_sheet``: the rows of one sheet of an .xlsx (openpyxl, read-only) or a .csv (UTF-8 or the
   GB18030 that Chinese Excel writes); the header is the first row with two titles or more (a merged
   title row above it is skipped), every other row keeps the number Excel shows for it.
2. ``suggest_mapping``: column titles matched to the kind's fields — the field's Chinese label or
   English name, then common synonyms (日期/时间 → occurred_on, 名称/活动名称 → title, 单位 →
   organisation, 企业 → firms, 人数 → participants …), then a label inside the title ("提供岗位数（个）").
   A mapping remembered for the office and kind (service/sheet_store.py) comes first.
3. ``convert``: each row as ``{"kind": …, field: value, "firms": [...]}``. Dates come as Excel dates
   or as 2020年5月12日, 2020/5/12, 2020-05-12, 2020.5.12 (a range "2020年5月12日至14日" also gives
   the end date); numbers as Excel numbers or "40 多", "1000余册", "近30万元" (万/亿 read, and a column
   titled "（万元）" counts in 万元); choices by their Chinese or English label; firm cells with several
   firms separated by 、，,;； or new lines (each firm "name", "code" or "name code", read by the
   paste parser of service/firm_list.py). Every row is then checked by the kind's own schema, and
   every problem is a ``CellError``: its Excel row, column letter and title, and why ("中文 / English").
4. ``import_rows``: all or nothing, through ``Ledger.import_lines`` (which validates every line again,
   stores nothing when any is bad, and keys a key-less line by its content): importing the same sheet
   again adds nothing.

Kinds and their fields are read in ONE place, ``sheet_kinds()``: kinds are about to become template
data, and only that function then changes.
"""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable

from domain.errors import OutOfScope
from service.firm_list import CODE, parse_firm_list
from service.schemas import InvalidInput, load_action
from service.scope import EVERYTHING, Scope

SHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv")
MAX_ROWS = 20000
MAX_COLUMNS = 200  # a 台账 has tens; a file declaring 16,384 is not read that wide
EMPTY_RUN = 5000  # this many empty rows in a row end the sheet (formatting left on rows below the table)
HEADER_SEARCH = 20  # rows looked at for the header
FIRMS = "firms"
FIRM_CODES = "firms_uscc"  # a column of codes, paired one by one with the firm names column
TOTAL_WORDS = {"合计", "总计", "小计", "共计", "total"}


class SheetError(InvalidInput):
    """A file that cannot be read as a sheet (wrong format, no such sheet, no header, too many rows)."""

    def __init__(self, message: str):
        super().__init__({"file": [message]})
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- kinds and their fields: the one place that reads them ------------------------------------------

@dataclass(frozen=True)
class SheetField:
    """A field a column can feed: its name, type and labels, its choices (key → (zh, en)), its unit."""

    name: str
    type: str  # count | money | integer | date | choice | text | firms
    zh: str
    en: str
    required: bool = False
    unit: str | None = None
    unit_en: str | None = None
    choices: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SheetKind:
    key: str
    zh: str
    en: str
    fields: tuple[SheetField, ...]

    def field(self, name: str) -> SheetField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def sheet_kinds(template=None) -> dict[str, SheetKind]:
    """Every kind a sheet can be imported as, with the fields its columns can feed.

    Read from the schemas' own description of each kind (``service.schemas.catalogue()``, itself built
    from ``domain.catalogue``'s kinds and COMMON_FIELDS): the one place this module learns about kinds,
    ``template``: the template whose kinds a sheet may hold (the organisation's for the year; the
    built-in one by default).
    """
    from service.schemas import catalogue

    out = {}
    for entry in catalogue(template):
        flds = []
        for f in entry["fields"]:
            if f["name"] in ("key", "kind"):
                continue
            if f["name"] == FIRMS:
                flds.append(SheetField(FIRMS, "firms", f["zh"], f["en"]))
                flds.append(SheetField(FIRM_CODES, "firm_codes", "统一社会信用代码", "credit codes of the firms"))
                continue
            choices = {k: (v["zh"], v["en"]) for k, v in (f.get("choices") or {}).items()}
            flds.append(SheetField(f["name"], f["type"], f["zh"], f["en"], bool(f.get("required")), f.get("unit"),
                                   f.get("unit_en"), choices))
        out[entry["kind"]] = SheetKind(entry["kind"], entry["zh"], entry["en"], tuple(flds))
    return out


def sheet_kind(key: str, template=None) -> SheetKind:
    kinds = sheet_kinds(template)
    if key not in kinds:
        raise SheetError(f"未知类型 / unknown kind: {key}（{'、'.join(kinds)}）")
    return kinds[key]


# --- reading ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    index: int  # 0-based
    letter: str  # as Excel names it: A, B, … AA
    title: str  # unique in the sheet ("备注", "备注 (2)"); "C 列" when the header cell is empty


@dataclass(frozen=True)
class Row:
    number: int  # as Excel shows it (1-based, counting the header and any rows above it)
    cells: tuple


@dataclass
class Sheet:
    name: str
    sheet_names: list[str]
    header_row: int
    columns: list[Column]
    rows: list[Row]
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, why: "中文 / English")

    def samples(self, column: Column, n: int = 3) -> list[str]:
        """The first few values of a column, as text (for choosing its field)."""
        out = []
        for row in self.rows:
            value = row.cells[column.index] if column.index < len(row.cells) else None
            if _blank(value):
                continue
            out.append(as_text(value))
            if len(out) >= n:
                break
        return out


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_sheet(data: bytes, filename: str, sheet: str | None = None, header_row: int | None = None) -> Sheet:
    """The rows of one sheet of an .xlsx or .csv file (the first sheet unless ``sheet`` names one)."""
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".xls":
        raise SheetError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx / old .xls files are not read: "
                         "save the workbook as .xlsx in Excel")
    if suffix not in SHEET_SUFFIXES:
        raise SheetError(f"应为 .xlsx 或 .csv 文件 / must be an .xlsx or a .csv file: {filename}")
    if suffix == ".csv":
        name, names, raw = "", [], _csv_rows(data)
    else:
        name, names, raw = _xlsx_rows(data, sheet)
    return _table(name, names, raw, header_row)


def _xlsx_rows(data: bytes, sheet: str | None) -> tuple[str, list[str], list[tuple]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise SheetError(f"无法读取该 Excel 文件 / the Excel file cannot be read ({type(e).__name__})") from None
    try:
        names = list(book.sheetnames)
        if sheet:
            if sheet not in names:
                raise SheetError(f"没有名为“{sheet}”的工作表（有：{'、'.join(names)}）/ no sheet named {sheet!r} "
                                 f"(there are: {', '.join(names)})")
            ws = book[sheet]
        else:
            ws = book[names[0]]
        if ws.max_row is None or ws.max_column is None:  # no dimension written by the tool that made the file
            ws.reset_dimensions()
        rows: list[tuple] = []
        filled = empty_run = 0
        for cells in ws.iter_rows(values_only=True, max_col=min(ws.max_column or MAX_COLUMNS, MAX_COLUMNS)):
            if all(_blank(c) for c in cells):
                empty_run += 1
                if empty_run > EMPTY_RUN:
                    break
                rows.append(())
                continue
            empty_run = 0
            filled += 1
            if filled > MAX_ROWS + HEADER_SEARCH:
                raise SheetError(f"行数超过 {MAX_ROWS}，请分成几个文件导入 / more than {MAX_ROWS} rows: "
                                 "split the sheet")
            rows.append(tuple(cells))
        while rows and not rows[-1]:
            rows.pop()
        return ws.title, names, rows
    finally:
        book.close()


def _csv_rows(data: bytes) -> list[tuple]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly anything
        raise SheetError("无法识别 CSV 文件的编码 / the CSV file's encoding is not UTF-8 or GB18030")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = [tuple(r[:MAX_COLUMNS]) for r in csv.reader(io.StringIO(text), dialect)]
    if sum(1 for r in rows if any(not _blank(c) for c in r)) > MAX_ROWS + HEADER_SEARCH:
        raise SheetError(f"行数超过 {MAX_ROWS}，请分成几个文件导入 / more than {MAX_ROWS} rows: split the sheet")
    return rows


def _table(name: str, names: list[str], raw: list[tuple], header_row: int | None) -> Sheet:
    if header_row is None:
        header_row = next((i for i, r in enumerate(raw[:HEADER_SEARCH], 1) if sum(not _blank(c) for c in r) >= 2),
                          next((i for i, r in enumerate(raw[:HEADER_SEARCH], 1) if any(not _blank(c) for c in r)),
                               None))
        if header_row is None:
            raise SheetError("工作表是空的 / the sheet is empty")
    if header_row < 1 or header_row > len(raw):
        raise SheetError(f"第 {header_row} 行不存在 / there is no row {header_row}")
    header = raw[header_row - 1]
    width = max([len(header)] + [len(r) for r in raw[header_row:]])
    columns, seen = [], {}
    for i in range(width):
        title = _title(header[i]) if i < len(header) else ""
        letter = column_letter(i)
        if not title:
            if all(i >= len(r) or _blank(r[i]) for r in raw[header_row:]):
                continue  # an empty column without a title: not a column of the table
            title = f"{letter} 列"
        seen[title] = seen.get(title, 0) + 1
        if seen[title] > 1:
            title = f"{title} ({seen[title]})"
        columns.append(Column(i, letter, title))
    if not columns:
        raise SheetError(f"第 {header_row} 行没有列标题 / row {header_row} holds no column titles")
    rows, skipped = [], []
    for number, cells in enumerate(raw[header_row:], start=header_row + 1):
        cells = tuple(cells) + (None,) * (width - len(cells))
        if all(_blank(c) for c in cells):
            continue
        if any(isinstance(c, str) and re.sub(r"\s+", "", c).lower() in TOTAL_WORDS for c in cells):
            skipped.append((number, "合计行，未导入 / a total row, not imported"))
            continue
        rows.append(Row(number, cells))
    return Sheet(name, names, header_row, columns, rows, skipped)


def _title(value: Any) -> str:
    return re.sub(r"\s+", " ", as_text(value)).strip() if not _blank(value) else ""


def as_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- suggesting a mapping ---------------------------------------------------------------------------

# Column titles offices use for a field, beside its own label (normalised: no spaces, no brackets).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "occurred_on": ("日期", "时间", "活动日期", "活动时间", "举办日期", "举办时间", "开展时间", "开展日期", "开始日期",
                    "开始时间", "会议时间", "培训时间", "日期时间", "date"),
    "ends_on": ("结束日期", "结束时间", "截止日期", "截止时间"),
    "title": ("名称", "活动名称", "标题", "会议名称", "活动内容", "工作内容", "事项", "内容", "项目名称", "培训名称",
              "讲座名称", "招聘会名称", "title", "name"),
    "organisation": ("单位", "主办单位", "承办单位", "填报单位", "组织单位", "责任单位", "organisation", "organization"),
    FIRMS: ("企业", "参与企业", "企业名称", "参会企业", "参加企业", "涉及企业", "企业名单", "服务企业名单", "公司",
            "公司名称", "firms", "firm"),
    FIRM_CODES: ("统一社会信用代码", "信用代码", "社会信用代码", "企业信用代码", "uscc"),
    "participants": ("人数", "参加人数", "参会人数", "参与人数", "参训人数", "培训人数", "听众人数", "人次"),
    "notes": ("备注", "说明", "备注说明", "notes"),
    "venue": ("地点", "地址", "举办地点", "活动地点", "培训地点"),
    "topic": ("主题", "培训主题", "讲座主题", "内容主题"),
    "speaker": ("主讲", "主讲人", "授课人", "宣讲人"),
    "posts": ("岗位数", "岗位", "提供岗位", "招聘岗位", "招聘岗位数"),
    "seekers_matched": ("意向人数", "达成意向人数", "就业意向人数"),
    "amount": ("金额", "捐款金额", "授信金额", "捐赠金额"),
    "partner": ("联办单位", "合作单位", "协办单位"),
}


def _normal(title: str) -> str:
    """A title for matching: NFKC, no spaces, no bracketed part (units such as （人）), no * marks."""
    text = unicodedata.normalize("NFKC", title or "")
    text = re.sub(r"[(\[【][^)\]】]*[)\]】]", "", text)
    return re.sub(r"[\s*※:：]+", "", text).lower()


def suggest_mapping(columns: Iterable[Column | str], kind: SheetKind,
                    remembered: dict[str, str] | None = None) -> dict[str, str]:
    """Column title → field name for the columns whose field can be told from the title (each field once).

    A remembered mapping (the office's last import of this kind) comes first, then the field's own
    label or name, then common synonyms, then a field label found inside the title.
    """
    titles = [c.title if isinstance(c, Column) else c for c in columns]
    names = set(kind.names)
    mapping: dict[str, str] = {}
    used: set[str] = set()

    def take(title: str, name: str) -> None:
        if title not in mapping and name in names and name not in used:
            mapping[title] = name
            used.add(name)

    decided = set()
    for title, name in (remembered or {}).items():
        if title in titles:
            decided.add(title)  # mapped, or left out on purpose ("") the last time
            if name:
                take(title, name)
    exact: dict[str, str] = {}
    for f in kind.fields:
        for text in (f.zh, f.en, f.name):
            exact.setdefault(_normal(text), f.name)
    synonyms = {_normal(s): name for name, words in SYNONYMS.items() for s in words}
    for table in (exact, synonyms):
        for title in titles:
            hit = table.get(_normal(title))
            if hit and title not in decided:
                take(title, hit)
    labels = sorted(((_normal(f.zh), f.name) for f in kind.fields if len(_normal(f.zh)) >= 2),
                    key=lambda p: -len(p[0]))
    for title in titles:
        if title in decided:
            continue
        norm = _normal(title)
        for text, name in labels:
            if text in norm and name not in used:
                take(title, name)
                break
    return {t: mapping[t] for t in titles if t in mapping}


# --- converting rows --------------------------------------------------------------------------------

@dataclass(frozen=True)
class CellError:
    """One bad cell (or a bad default, or a field no column feeds): where, and why ("中文 / English")."""

    row: int | None
    letter: str | None
    title: str | None
    field: str
    message: str

    @property
    def zh(self) -> str:
        return self.message.split(" / ", 1)[0]

    @property
    def en(self) -> str:
        parts = self.message.split(" / ", 1)
        return parts[1] if len(parts) > 1 else parts[0]

    def where_zh(self) -> str:
        if self.row is None:
            return f"“{self.title}”" if self.title else "映射"
        if self.letter:
            return f"第 {self.row} 行 {self.letter} 列“{self.title}”"
        return f"第 {self.row} 行“{self.title}”" if self.title else f"第 {self.row} 行"

    def where_en(self) -> str:
        if self.row is None:
            return f"{self.title!r}" if self.title else "mapping"
        if self.letter:
            return f"row {self.row}, column {self.letter} \"{self.title}\""
        return f"row {self.row} \"{self.title}\"" if self.title else f"row {self.row}"

    def __str__(self) -> str:
        return f"{self.where_zh()}：{self.zh} / {self.where_en()}: {self.en}"


@dataclass
class RowResult:
    number: int
    payload: dict
    values: dict | None = None  # the schema's values when the row is good
    errors: list[CellError] = field(default_factory=list)
    known: bool = False  # the ledger holds this row already (an earlier import of the same sheet)
    ledger_kind: Any = None  # the kind as the schema loaded it (for the row's content key)


@dataclass
class Conversion:
    kind: SheetKind
    mapping: dict[str, str]  # column title → field ("" for a column left out)
    defaults: dict[str, str]
    problems: list[CellError]  # about the whole sheet: the mapping and the defaults
    rows: list[RowResult]
    skipped: list[tuple[int, str]]

    @property
    def errors(self) -> list[CellError]:
        return self.problems + [e for r in self.rows for e in r.errors]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def payloads(self) -> list[dict]:
        return [r.payload for r in self.rows]


class CellProblem(ValueError):
    """A cell that cannot be read as its field ("中文 / English")."""


class SheetRefused(InvalidInput):
    """A sheet with bad cells: nothing of it was stored. ``errors`` names every one."""

    def __init__(self, errors: list[CellError]):
        self.errors = errors
        ValueError.__init__(self, "\n".join(str(e) for e in errors))
        self.messages = {"rows": [str(e) for e in errors]}


def convert(sheet: Sheet, kind: SheetKind, mapping: dict[str, str], defaults: dict[str, Any] | None = None,
            organisation: str | None = None) -> Conversion:
    """Every row of ``sheet`` as a payload of ``kind``, with every bad cell named.

    ``mapping``: column title → field name (a title mapped to "" or not at all is not imported);
    ``defaults``: field → value used where no column, or an empty cell, gives the field;
    ``organisation``: the importing office, the default of ``organisation``.
    """
    by_title = {c.title: c for c in sheet.columns}
    problems: list[CellError] = []
    columns: dict[str, Column] = {}
    for title, name in mapping.items():
        if not name:
            continue
        if title not in by_title:
            problems.append(CellError(None, None, title, name, "表中没有此列 / the sheet has no such column"))
        elif name not in kind.names:
            problems.append(CellError(None, by_title[title].letter, title, name,
                                      f"“{kind.zh}”没有字段 {name} / the kind {kind.key} has no field {name}"))
        elif name in columns:
            problems.append(CellError(None, by_title[title].letter, title, name,
                                      f"“{_label_zh(kind, name)}”已对应“{columns[name].title}”列 / {name} is fed "
                                      f"by column {columns[name].title!r} already"))
        else:
            columns[name] = by_title[title]
    given = {k: v for k, v in (defaults or {}).items() if not _blank(v)}
    if organisation and not _blank(organisation):
        given.setdefault("organisation", organisation)
    parsed_defaults: dict[str, Any] = {}
    unfed = set()  # fields the rows cannot have: named once, here, not again in every row
    for name, raw in given.items():
        if name not in kind.names or name == FIRM_CODES:
            problems.append(CellError(None, None, name, name, f"“{kind.zh}”没有可设默认值的字段 {name} / the kind "
                                                              f"{kind.key} has no field {name} to default"))
            continue
        try:
            parsed_defaults[name] = _cell(kind.field(name), raw, None)
        except CellProblem as e:
            problems.append(CellError(None, None, f"{_label_zh(kind, name)}（默认值）", name, str(e)))
            unfed.add(name)
    for f in kind.fields:
        if f.required and f.name not in columns and f.name not in given:
            unfed.add(f.name)
            problems.append(CellError(None, None, f.zh, f.name,
                                      f"“{f.zh}”是必填项，但没有对应的列，也没有默认值 / {f.en} is required: map a "
                                      f"column to it or give a default"))
    results = []
    for row in sheet.rows:
        results.append(_convert_row(row, kind, columns, parsed_defaults, unfed))
    return Conversion(kind, dict(mapping), {k: str(v) for k, v in given.items()},
                      problems, results, list(sheet.skipped))


def _label_zh(kind: SheetKind, name: str) -> str:
    try:
        return kind.field(name).zh
    except KeyError:
        return name


def _convert_row(row: Row, kind: SheetKind, columns: dict[str, Column], defaults: dict[str, Any],
                 unfed: set[str]) -> RowResult:
    payload: dict[str, Any] = {"kind": kind.key}
    errors: list[CellError] = []
    source: dict[str, Column] = {}
    bad: set[str] = set(unfed)
    codes: list[str] | None = None
    for name, column in columns.items():
        value = row.cells[column.index] if column.index < len(row.cells) else None
        source[name] = column
        if _blank(value):
            continue
        f = kind.field(name)
        try:
            parsed = _cell(f, value, column.title)
        except CellProblem as e:
            errors.append(CellError(row.number, column.letter, column.title, name, str(e)))
            bad.add(name)
            continue
        if name == FIRM_CODES:
            codes = parsed
        elif f.type == "date" and isinstance(parsed, tuple):  # a range: its end is the end date
            payload[name] = parsed[0].isoformat()
            if name == "occurred_on" and "ends_on" in kind.names:
                payload.setdefault("ends_on", parsed[1].isoformat())
                source.setdefault("ends_on", column)
        elif isinstance(parsed, date):
            payload[name] = parsed.isoformat()
        else:
            payload[name] = parsed
    for name, value in defaults.items():
        if name not in payload:
            value = value[0] if isinstance(value, tuple) else value  # a range as a default: its first day
            payload[name] = value.isoformat() if isinstance(value, date) else value
    firms = payload.pop(FIRMS, None)
    if codes is not None:
        column = source[FIRM_CODES]
        if firms is None:
            firms = [{"name": None, "uscc": c} for c in codes]
        elif len(codes) != len(firms):
            errors.append(CellError(row.number, column.letter, column.title, FIRM_CODES,
                                    f"有 {len(firms)} 家企业却有 {len(codes)} 个信用代码，无法一一对应 / "
                                    f"{len(firms)} firms but {len(codes)} codes: they cannot be paired"))
            bad.add(FIRMS)
        else:
            firms = [{"name": f["name"], "uscc": c or f["uscc"]} for f, c in zip(firms, codes)]
        source.setdefault(FIRMS, column)
    if firms is not None:
        payload[FIRMS] = firms
    result = RowResult(row.number, payload, errors=errors)
    try:
        result.ledger_kind, _key, values = load_action(payload)
    except InvalidInput as e:
        for name, messages in e.messages.items():
            if name in bad:
                continue  # named already (a cell that could not be read, a field without a column)
            column = source.get(name)
            for message in _flat(messages):
                if column is None:
                    label = _label_zh(kind, name) if name in kind.names else name
                    where = f"{label}（默认值）" if name in defaults else label
                    errors.append(CellError(row.number, None, where, name, message))
                else:
                    errors.append(CellError(row.number, column.letter, column.title, name, message))
    else:
        if not errors:
            result.values = values
    return result


def _flat(messages: Any, prefix: str = "") -> list[str]:
    """marshmallow's nested messages as flat "中文 / English" strings (a firm's messages say which firm)."""
    if isinstance(messages, str):
        return [messages if not prefix else _prefixed(prefix, messages)]
    if isinstance(messages, list):
        return [m for item in messages for m in _flat(item, prefix)]
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                out += _flat(value, f"{int(key) + 1}")
            else:
                out += _flat(value, prefix)
        return out
    return [str(messages)]


def _prefixed(n: str, message: str) -> str:
    zh, _, en = message.partition(" / ")
    return f"第 {n} 家企业：{zh} / firm {n}: {en or zh}"


# --- reading one cell as a field --------------------------------------------------------------------

NOT_A_DATE = ("不是日期，应如 2020-05-12、2020/5/12、2020.5.12 或 2020年5月12日 / not a date: write it like "
              "2020-05-12, 2020/5/12, 2020.5.12 or 2020年5月12日")
_DAY = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
_TIME = r"(?:\s*[T ]?\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?)?"
_END = r"(?:(\d{4})\s*[-/.年]\s*)?(?:(\d{1,2})\s*[-/.月]\s*)?(\d{1,2})\s*[日号]?"
DAY = re.compile(rf"^{_DAY}{_TIME}$")
COMPACT_DAY = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
RANGE = re.compile(rf"^{_DAY}\s*(?:至|到|~|～|—+|–|-{{1,2}})\s*{_END}$")
EXCEL_EPOCH = datetime(1899, 12, 30)
UNITS = {"人", "人次", "名", "家", "个", "场", "场次", "次", "册", "份", "户", "件", "项", "期", "元", "位", "床", "张"}
MEASURE = re.compile(r"^(近|约)?(\d+(?:\.\d+)?)(万|亿)?(余|多)?(万|亿)?(.*?)$")
MULTIPLIER = {"万": Decimal(10000), "亿": Decimal(100000000)}


def _day(y: str, m: str, d: str) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        raise CellProblem(f"没有这一天：{y}年{int(m)}月{int(d)}日 / no such day: {y}-{m}-{d}") from None


def parse_date(value: Any) -> date | tuple[date, date]:
    """A day, from an Excel date, an Excel day number, or text (2020-05-12, 2020/5/12, 2020.5.12,
    2020年5月12日, 20200512); a range "2020年5月12日至14日" gives (start, end)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellProblem(NOT_A_DATE)
    if isinstance(value, (int, float)):
        if 18000 <= value <= 80000:  # an Excel day number (1949 – 2119) in a cell not formatted as a date
            return (EXCEL_EPOCH + timedelta(days=int(value))).date()
        text = as_text(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
    m = DAY.match(text) or COMPACT_DAY.match(text)
    if m:
        return _day(*m.groups()[:3])
    m = RANGE.match(text)
    if m:
        start = _day(*m.groups()[:3])
        ey, em, ed = m.groups()[3:]
        end = _day(ey or str(start.year), em or str(start.month), ed)
        if end < start:
            raise CellProblem("结束日期早于开始日期 / the end date is before the start date")
        return start, end
    raise CellProblem(NOT_A_DATE)


def parse_measure(value: Any, f: SheetField, title: str | None = None) -> dict:
    """A count or an amount, with its approximation marker: 40, "40 多", "1000余册", "近30万元", "4.72亿";
    in a column titled "（万元）" (or 亿元) a bare number counts in that unit."""
    scale = Decimal(1)
    if title and f.type == "money":
        unit = re.search(r"[(（\[【]\s*(万|亿)元?\s*[)）\]】]|(万|亿)元$", unicodedata.normalize("NFKC", title))
        if unit:
            scale = MULTIPLIER[unit.group(1) or unit.group(2)]
    if isinstance(value, bool):
        raise CellProblem(_NOT_NUMBER)
    if isinstance(value, (int, float, Decimal)):
        try:
            # a float as Excel shows it (15 significant digits): 1234.5600000000002 from a formula is 1234.56
            number = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            raise CellProblem(_NOT_NUMBER) from None
        return _measure(number * scale, None, f)
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 1,200
    m = MEASURE.match(text)
    if not m:
        raise CellProblem(_NOT_NUMBER)
    before, digits, mul1, after, mul2, unit = m.groups()
    if before == "约":
        raise CellProblem("约数标记只能是 余、多 或 近 / the approximation marker must be 余, 多 or 近")
    if (unit and unit not in UNITS and unit != f.unit) or (mul1 and mul2):
        raise CellProblem(_NOT_NUMBER)
    multiplier = MULTIPLIER[mul1 or mul2] if (mul1 or mul2) else scale  # "30万" says its unit itself
    return _measure(Decimal(digits) * multiplier, before or after, f)


_NOT_NUMBER = "应为数字，可带“余/多/近”，如 40、40多、1000余、近30万 / must be a number, optionally with 余/多/近"


def _measure(number: Decimal, marker: str | None, f: SheetField) -> dict:
    if not number.is_finite():
        raise CellProblem(_NOT_NUMBER)
    if f.type == "money":
        whole = number == number.to_integral_value()  # the schema checks its range and its two decimal places
        value: Any = f"{number.to_integral_value():f}" if whole else f"{number.normalize():f}"
    else:
        if number != number.to_integral_value():
            raise CellProblem("应为整数 / must be a whole number")
        value = int(number)
    return {"value": value, "approx": marker}


def parse_choice(value: Any, f: SheetField) -> str:
    """A choice by its key, its Chinese label or its English label (线上 / online)."""
    text = _normal(as_text(value))
    for key, (zh, en) in f.choices.items():
        if text in (_normal(key), _normal(zh), _normal(en)):
            return key
    raise CellProblem(f"应为以下之一：{'、'.join(zh for zh, _en in f.choices.values())} / must be one of: "
                      f"{', '.join(en for _zh, en in f.choices.values())}")


def parse_firms(value: Any) -> list[dict]:
    """The firms of one cell: several separated by 、，,;； or new lines; each "name", "code" or
    "name code" (read by the paste parser); a code alone after a name is that firm's code."""
    text = re.sub(r"[、，,;；]+", "\n", as_text(value))
    firms: list[dict] = []
    for firm in parse_firm_list(text):
        name, code = firm["name"] or None, firm["uscc"] or None
        if name is None and code and firms and firms[-1]["uscc"] is None:
            firms[-1]["uscc"] = code  # 甲公司，91420112…: the code of the firm before it
            continue
        firms.append({"name": name, "uscc": code})
    return firms


def parse_codes(value: Any) -> list[str]:
    """A column of credit codes (one per firm of the row, in the order of its firm names)."""
    codes = [c.strip().upper() for c in re.split(r"[、，,;；\s]+", as_text(value)) if c.strip()]
    for c in codes:
        if not CODE.match(c):
            raise CellProblem(f"“{c}”不是 18 位统一社会信用代码 / {c!r} is no 18-character unified social credit code")
    return codes


def _cell(f: SheetField, value: Any, title: str | None) -> Any:
    """One cell's value as the field's JSON (a date may come back as a (start, end) range)."""
    if f.type == "date":
        return parse_date(value)
    if f.type in ("count", "money"):
        return parse_measure(value, f, title)
    if f.type == "choice":
        return parse_choice(value, f)
    if f.type == "integer":
        text = re.sub(r"\s+|年$", "", unicodedata.normalize("NFKC", as_text(value)))
        if not re.fullmatch(r"\d{1,6}", text):
            raise CellProblem("应为整数 / must be a whole number")
        return int(text)
    if f.type == "firms":
        return parse_firms(value)
    if f.type == "firm_codes":
        return parse_codes(value)
    return as_text(value)


# --- the ledger: which rows it holds already, and the import ----------------------------------------

def mark_known(ledger, conversion: Conversion) -> None:
    """Mark the good rows the ledger holds already (keyed by content as ``import_lines`` keys them)."""
    from service.ledger import content_key, record_id_for

    counted: dict[str, int] = {}
    for row in conversion.rows:
        if row.values is None:
            continue
        key = content_key(row.ledger_kind, row.values, counted)
        row.known = bool(ledger.recorder.select_events(record_id_for(key), limit=1))


def payload_lines(conversion: Conversion) -> list[str]:
    return [json.dumps(p, ensure_ascii=False, sort_keys=True) for p in conversion.payloads]


def import_rows(ledger, conversion: Conversion, actor: str | None = None, scope: Scope = EVERYTHING):
    """Store every row, or none: refused (SheetRefused, every bad cell named) when any cell is bad or
    a row's organisation is outside the user's unit (``scope``); rows the ledger holds already (the same
    sheet imported before) are not stored again."""
    from service.ledger import ImportRefused

    if not conversion.ok:
        raise SheetRefused(conversion.errors)
    outside = [CellError(row.number, None, None, "organisation", str(OutOfScope(
        row.values["organisation"], scope.name, writing=True))) for row in conversion.rows
        if row.values is not None and not scope.may_write(row.values["organisation"])]
    if outside:
        raise SheetRefused(outside)
    if not conversion.rows:
        raise SheetRefused([CellError(None, None, None, "", "表中没有可导入的行 / the sheet has no rows to import")])
    try:
        return ledger.import_lines(payload_lines(conversion), actor=actor)
    except ImportRefused as e:  # a rule the rows broke as a whole (a key reused with other content …)
        errors = []
        for err in e.errors:
            row = conversion.rows[err.line - 1]
            for message in _flat(err.messages):
                errors.append(CellError(row.number, None, None, "", message))
        raise SheetRefused(errors) from None
