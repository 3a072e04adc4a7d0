"""Exports -> VideoMetrics: CSV/TSV/TXT tables, JSON and YAML, from files or stdin.

Nothing is lost silently: every data row becomes a video or a listed Problem (a row with one
bad value is listed whole, never half-imported), every column is either used, known and
deliberately unused (`FileInfo.unused_columns`, with the profile's reason), or unknown
(`FileInfo.ignored_columns`, reported once per file). Only empty rows are skipped.

Row numbers: row N is the Nth line after the header row (blank lines count, the header is
row 0), so for a table without a title line above the header and without line breaks inside
quoted cells, row N is on line N + 1 of the file; `Problem.line` always gives the real line.
For JSON and YAML, row N is the Nth video object (1-based).

A file that cannot be used at all (not found, not decodable, not a table, no recognisable
column, no id column) raises AdvisorError with a located Problem.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Optional, Sequence, Union

import datetime as dt
import zipfile
from array import array
from operator import itemgetter

from pydantic import ValidationError

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import T
from advisor.model.metrics import FIELDS, FORMS, VideoMetrics
from advisor.input.profiles import (CANONICAL, HeaderMap, Profile, detect_profile, generic_profile, load_profiles,
                       map_header, norm_header, resolve_profile, shipped_profile_dirs, value_parser)
from advisor.core.output import register_input
from advisor.input.sources import STDIN, read_bytes, read_head
from advisor.input.values import ValueProblem, json_int, parse_count, plain_counts
from advisor.input.yamlio import load_yaml, problems_from_validation_error

# Spreadsheets: an export opened and saved in Excel or WPS, and Douyin's creator centre export.
SHEET_EXTS = (".xlsx", ".xlsm")
TABLE_EXTS = {".csv": None, ".tsv": "\t", ".txt": None}  # None: sniffed (Excel may write ; in a .csv)
HEADER_SEARCH_ROWS = 10  # how many non-empty lines may precede the header (an export's title line)


@dataclass
class FileInfo:
    """What was read from one input."""

    path: str
    format: str  # csv | tsv | json | yaml | xlsx
    profile: str  # the profile id used
    encoding: Optional[str] = None  # utf-8, utf-8-sig, utf-16, gb18030
    rows: int = 0  # non-empty data rows read (imported + listed as problems)
    videos: int = 0  # rows imported
    header_line: Optional[int] = None  # tables: the header's line (1 unless a title line precedes it)
    delimiter: Optional[str] = None
    sheet: Optional[str] = None  # spreadsheets: the worksheet read
    ignored_columns: list[str] = field(default_factory=list)  # columns no profile knows
    unused_columns: dict[str, T] = field(default_factory=dict)  # known columns left unused -> why

    def describe(self) -> T:
        """A one-line summary for the CLI."""
        zh = f"{self.path}: 读取 {self.rows} 行,导入 {self.videos} 条(档案 {self.profile}"
        en = f"{self.path}: read {self.rows} rows, imported {self.videos} (profile {self.profile}"
        if self.encoding:
            zh, en = zh + f",编码 {self.encoding}", en + f", encoding {self.encoding}"
        zh, en = zh + ")", en + ")"
        if self.ignored_columns:
            cols = ", ".join(self.ignored_columns)
            zh, en = zh + f";未识别的列(未导入):{cols}", en + f"; unrecognised columns (not imported): {cols}"
        if self.unused_columns:
            cols = ", ".join(self.unused_columns)
            zh, en = zh + f";已知但不使用的列:{cols}", en + f"; known columns not used: {cols}"
        return T(zh=zh, en=en)


@dataclass
class ImportResult:
    videos: list[VideoMetrics] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[FileInfo] = field(default_factory=list)


class SeenIds:
    """The video ids read so far and where each was first seen, compactly: no Python object per
    id. A million ids take about 40 MB here; a dict of the id strings took about 120 MB.

    Each id is kept as its UTF-8 bytes in one bytearray (with its start offset), its hash and
    where it was first seen (the file as an index into `names`, packed with the row into one
    number), in arrays; an open-addressing table of id numbers, probed by the hash, finds it
    again. A hash match is confirmed by comparing the id's own bytes, so two different ids are
    never taken for one (a row is never dropped as a false duplicate).

    SeenIds(skip=...) instead reads a batch again: the rows listed in `skip` ((file, row) pairs,
    the duplicates the first reading found) are left out, and no id is kept at all.
    """

    _EMPTY = -1

    def __init__(self, skip: Optional[set] = None):
        self.skip = skip
        self.names: list[str] = []
        self._index: dict[str, int] = {}
        self._bytes = bytearray()  # every id's UTF-8, one after another
        self._starts = array("q")  # where id i starts in _bytes (it ends where i + 1 starts)
        self._hashes = array("q")  # hash(id i)
        self._where = array("Q")  # (file index << 40) | row, of id i
        self._table = array("i", [self._EMPTY]) * 64  # slot -> id number, probed linearly from hash & mask
        self._mask = 63
        self._miss: tuple = (None, 0, 0)  # (id, hash, free slot) of the last get() that found nothing

    def __len__(self) -> int:
        return len(self._hashes)

    def _id(self, i: int) -> bytes:
        end = self._starts[i + 1] if i + 1 < len(self._starts) else len(self._bytes)
        return bytes(self._bytes[self._starts[i]:end])

    def _find(self, video_id: str, h: int) -> tuple[int, int]:
        """(id number or -1, the slot where it is or would go)."""
        table, hashes, mask = self._table, self._hashes, self._mask
        slot = h & mask
        encoded = None
        while True:
            i = table[slot]
            if i == -1:
                return -1, slot
            if hashes[i] == h:
                if encoded is None:
                    encoded = video_id.encode("utf-8", "surrogatepass")
                if self._id(i) == encoded:
                    return i, slot
            slot = (slot + 1) & mask

    def get(self, video_id: str) -> Optional[tuple[str, int]]:
        h = hash(video_id)
        i, slot = self._find(video_id, h)
        if i < 0:
            self._miss = (video_id, h, slot)
            return None
        packed = self._where[i]
        return self.names[packed >> 40], packed & ((1 << 40) - 1)

    def add(self, video_id: str, name: str, row: int) -> None:
        """Record a new id (one that get() did not find) first seen at `row` of file `name`."""
        last, h, slot = self._miss
        if last is not video_id:
            h = hash(video_id)
            i, slot = self._find(video_id, h)
            if i >= 0:  # already known: the new place replaces the old (as a dict's item would)
                self._where[i] = (self._file_index(name) << 40) | row
                return
        self._miss = (None, 0, 0)
        self._insert(video_id, h, slot, name, row)

    def first(self, video_id: str, name: str, row: int) -> Optional[tuple[str, int]]:
        """get(video_id); when it finds nothing, add(video_id, name, row). One call and one
        probe of the table per row of an import (get and add each probed it)."""
        h = hash(video_id)
        i, slot = self._find(video_id, h)
        if i >= 0:
            packed = self._where[i]
            return self.names[packed >> 40], packed & ((1 << 40) - 1)
        self._insert(video_id, h, slot, name, row)
        return None

    def _file_index(self, name: str) -> int:
        index = self._index.get(name)
        if index is None:
            index = self._index[name] = len(self.names)
            self.names.append(name)
        return index

    def _insert(self, video_id: str, h: int, slot: int, name: str, row: int) -> None:
        """A new id at its free slot (from _find)."""
        number = len(self._hashes)
        self._starts.append(len(self._bytes))
        self._bytes += video_id.encode("utf-8", "surrogatepass")
        self._hashes.append(h)
        self._where.append((self._file_index(name) << 40) | row)
        self._table[slot] = number
        if 3 * (number + 1) > 2 * (self._mask + 1):  # more than 2/3 full: double the table
            self._grow()

    def _grow(self) -> None:
        size = 2 * (self._mask + 1)
        table = array("i", [self._EMPTY]) * size
        mask = size - 1
        for number, h in enumerate(self._hashes):
            slot = h & mask
            while table[slot] != -1:
                slot = (slot + 1) & mask
            table[slot] = number
        self._table, self._mask = table, mask


def load_videos(
    paths: Sequence[Union[str, Path]],
    *,
    profile: Union[str, Path, Profile, None] = None,
    profile_dirs: Optional[Iterable[Path]] = None,
    stdin: Optional[BinaryIO] = None,
) -> ImportResult:
    """Import videos from files (or "-" for stdin). Raises AdvisorError for unusable inputs.

    profile: force a profile (an id, a profile file, or a Profile) instead of detecting one.
    profile_dirs: extra profile folders (user rule folders' profiles/), layered over the shipped
    ones. stdin: a binary stream to read "-" from (default sys.stdin.buffer).
    Duplicate ids across the whole batch: the first is kept, later ones are listed as problems.
    """
    result = ImportResult()
    result.videos.extend(iter_videos(paths, result, profile=profile, profile_dirs=profile_dirs, stdin=stdin))
    return result


def iter_videos(
    paths: Sequence[Union[str, Path]],
    result: ImportResult,
    *,
    profile: Union[str, Path, Profile, None] = None,
    profile_dirs: Optional[Iterable[Path]] = None,
    stdin: Optional[BinaryIO] = None,
    stream: bool = False,
    names: Optional[dict] = None,
    first_seen: Optional["SeenIds"] = None,
    fields: bool = False,
) -> Iterator[VideoMetrics]:
    """load_videos one video at a time: yields each imported video, and records the problems
    and each file's FileInfo in `result` as it goes (a file's FileInfo once it has been read).

    stream: read a CSV/TSV/TXT file on disk line by line instead of whole, so the memory a file
    takes does not grow with it (JSON, YAML and spreadsheets are still read whole).
    names: path -> the name problems call it (a spooled standard input is '<stdin>').
    first_seen: the ids seen so far (a SeenIds), shared by calls that read one batch a file at a
    time, so a duplicate id across them is still caught.
    fields: yield each video's fields instead of the model: a dict of the fields present (not
    None), the values VideoMetrics would hold (advisor.model.metrics.fact_of makes its fact).
    The same rows are imported or refused; the model is just not built when the parsers'
    values can be trusted as they are (see _import_rows).
    """
    profiles = load_profiles([*shipped_profile_dirs(), *(profile_dirs or [])])
    forced = profile if isinstance(profile, Profile) or profile is None else resolve_profile(profile, profiles)
    generic = generic_profile(profiles)
    known = {norm_header(n) for n in CANONICAL}
    for p in [*profiles.values(), *([forced] if forced else [])]:
        known.update(norm_header(c) for c in [*p.columns, *p.ignore, *p.detect])

    def is_header(row: list) -> bool:
        return any(norm_header(c) in known for c in row)

    first_seen = SeenIds() if first_seen is None else first_seen
    for path in paths:
        ext = Path(str(path)).suffix.lower() if str(path) != STDIN else ""
        name = (names or {}).get(str(path), str(path))
        if stream and str(path) != STDIN and ext in TABLE_EXTS:
            source = _stream_table_source(Path(path), name, TABLE_EXTS[ext], is_header)
        else:
            data, name = read_bytes(path, max_bytes=None, stdin=stdin)  # no limit: an export grows with the account
            name = (names or {}).get(str(path), name)
            source = _open_source(name, data, ext, is_header)
            del data  # the source holds what it needs
        where = f"{name}[{source.sheet}]" if source.sheet else name  # problems say the sheet too
        chosen = forced or detect_profile(source.header, profiles)
        hmap = map_header(source.header, chosen, generic)
        unused = dict(hmap.unused)
        if source.format in ("json", "yaml"):
            # Objects may each name a field differently ({"视频ID": ...}, {"id": ...}): an
            # object's alias is used when the preferred key is absent, so none is unused.
            for alternates in hmap.alternates.values():
                for index in alternates:
                    unused.pop(source.header[index], None)
        else:
            hmap.alternates = {}  # a table's duplicate column stays unused (it is reported)
        info = FileInfo(path=name, format=source.format, profile=chosen.id, encoding=source.encoding,
                        header_line=source.header_line, delimiter=source.delimiter, sheet=source.sheet,
                        ignored_columns=list(hmap.unknown) + list(source.extra_ignored),
                        unused_columns=unused)
        _check_header(where, source, hmap)
        yield from _import_rows(where, source, hmap, info, result, first_seen, fields)
        result.files.append(info)


# --- reading and decoding -----------------------------------------------------------------------


def decode(data: bytes, name: str = "<input>") -> tuple[str, str]:
    """(text, encoding): UTF-16 by its BOM, else strict UTF-8 (BOM or not), else GB18030."""
    _refuse_workbook(data[:4], name)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _decode_error(name, data, exc.start, "UTF-16") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        if b"\x00" in data[:4096]:
            raise _decode_error(name, data, utf8_error.start, "UTF-8") from None
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise _decode_error(name, data, utf8_error.start, "UTF-8 / GB18030") from None
    if "\x00" in text[:4096]:  # ASCII text in UTF-16 without a BOM is valid UTF-8, full of NULs
        raise _decode_error(name, data, data.find(b"\x00"), "UTF-8")
    return text, "utf-8-sig" if data[:3] == b"\xef\xbb\xbf" else "utf-8"


def _refuse_workbook(start: bytes, name: str) -> None:
    if start[:4] == b"PK\x03\x04" or start[:4] == b"\xd0\xcf\x11\xe0":
        raise AdvisorError([Problem(file=name, message=T(
            zh="这是 Excel 工作簿,不是表格文本:请在 Excel 中「另存为 CSV UTF-8」",
            en="this is an Excel workbook, not a text table: save it as 'CSV UTF-8' from Excel"))])


def _decode_error(name: str, data: bytes, offset: int, tried: str, *, line: Optional[int] = None) -> AdvisorError:
    """The file cannot be decoded; the line of byte `offset` of `data` (or `line`, when known)."""
    if line is None:
        line = data.count(b"\n", 0, offset) + 1
    return AdvisorError([Problem(file=name, line=line, message=T(
        zh=f"无法识别文件编码(已尝试 {tried}):请另存为 UTF-8",
        en=f"cannot decode the file (tried {tried}): save it as UTF-8"))])


# --- sources: a header and rows of cells, whatever the format ----------------------------------

Locate = Callable[[int], tuple]  # column index -> (line, col) of that cell, for YAML


@dataclass
class _Source:
    format: str
    header: list[str]
    rows: Iterator[tuple[int, Optional[int], list, Optional[Locate]]]  # (row, line, cells, locate)
    encoding: Optional[str] = None
    header_line: Optional[int] = None
    delimiter: Optional[str] = None
    extra_ignored: list[str] = field(default_factory=list)
    sheet: Optional[str] = None


def _open_source(name: str, data: bytes, ext: str, is_header: Callable[[list], bool]) -> _Source:
    if ext in SHEET_EXTS or (ext not in TABLE_EXTS and data[:4] == b"PK\x03\x04" and ext not in (".json", ".yaml", ".yml")):
        return _sheet_source(name, data, is_header)
    text, encoding = decode(data, name)
    kind = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}.get(ext)
    if kind is None and ext not in TABLE_EXTS:
        kind = _sniff_kind(text)
    if kind == "json":
        source = _objects_source(name, _load_json(name, text), "json", None)
    elif kind == "yaml":
        data_, locator = load_yaml(text, filename=name, max_bytes=50_000_000, max_depth=16, max_nodes=5_000_000)
        source = _objects_source(name, data_, "yaml", locator)
    else:
        source = _table_source(name, text, TABLE_EXTS.get(ext), is_header)
    source.encoding = encoding
    return source


def _cell(value: Any) -> Any:
    """A spreadsheet cell as the value parsers take it: numbers stay numbers (1234.0 -> 1234),
    dates stay dates, text is stripped, an empty cell is None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (int, float, dt.date, dt.datetime)):
        return value
    if isinstance(value, dt.time):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _sheet_source(name: str, data: bytes, is_header: Callable[[list], bool]) -> _Source:
    """An .xlsx workbook: the first sheet with a recognised header among its first rows (else the
    first sheet). Row N is the Nth row below the header; problems give the sheet, the
    spreadsheet row as `line` and the column number as `col`."""
    # openpyxl (and the numpy it loads) costs ~0.1 s to import: only when a workbook is read.
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise AdvisorError([Problem(file=name, message=T(
            zh=f"无法读取 Excel 文件(.xlsx):{exc}", en=f"cannot read the Excel (.xlsx) file: {exc}"))]) from None
    chosen = None
    for sheet in book.worksheets:
        rows = sheet.iter_rows(values_only=True)
        seen = 0
        for line, row in enumerate(rows, start=1):
            cells = ["" if c is None else str(c).strip() for c in row]
            if not any(cells):
                continue
            seen += 1
            if is_header(cells):
                chosen = (sheet, line, cells)
                break
            if seen >= HEADER_SEARCH_ROWS:
                break
        if chosen:
            break
    if chosen is None:
        first = book.worksheets[0] if book.worksheets else None
        header_row = None
        if first is not None:
            for line, row in enumerate(first.iter_rows(values_only=True), start=1):
                cells = ["" if c is None else str(c).strip() for c in row]
                if any(cells):
                    header_row = (first, line, cells)
                    break
        if header_row is None:
            raise AdvisorError([Problem(file=name, line=1, message=T(
                zh="工作簿是空的,没有表头", en="the workbook is empty: no header row"))])
        chosen = header_row
    sheet, header_line, header = chosen
    while header and not header[-1]:
        header.pop()  # trailing empty cells of a formatted row

    def rows():
        number = 0
        for line, row in enumerate(sheet.iter_rows(min_row=header_line + 1, values_only=True), start=header_line + 1):
            number += 1
            cells = [_cell(c) for c in row]
            while len(cells) > len(header) and cells[-1] is None:
                cells.pop()
            yield number, line, cells, (lambda i, ln=line: (ln, i + 1))

    return _Source(format="xlsx", header=header, rows=rows(), header_line=header_line, sheet=sheet.title)


def looks_like_table(head: bytes) -> bool:
    """Whether the first bytes of an input without a name (standard input) are a text table,
    as _open_source would sniff them: not a workbook, not JSON, not YAML."""
    if head[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0") or head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return False
    return _sniff_kind(head.decode("utf-8", errors="ignore")) == "table"


def _sniff_kind(text: str) -> str:
    """stdin or an unknown extension: JSON, YAML or a table, from the first characters."""
    head = text.lstrip()
    if head[:1] in ("[", "{"):
        return "json"
    first = head.split("\n", 1)[0]
    if head.startswith(("---", "- ")) or (":" in first and not any(d in first for d in (",", "\t", ";"))):
        return "yaml"
    return "table"


def _load_json(name: str, text: str) -> Any:
    try:
        return json.loads(text, parse_int=json_int)
    except json.JSONDecodeError as exc:
        raise AdvisorError([Problem(file=name, line=exc.lineno, col=exc.colno, message=T(
            zh=f"JSON 格式错误:{exc.msg}", en=f"invalid JSON: {exc.msg}"))]) from None
    except RecursionError:
        raise AdvisorError([Problem(file=name, message=T(zh="JSON 嵌套过深", en="JSON nested too deeply"))]) from None
    except ValueError as exc:  # a number Python refuses to read
        raise AdvisorError([Problem(file=name, message=T(zh=f"JSON 数值无法读取:{exc}", en=f"unreadable JSON number: {exc}"))]) from None


def _objects_source(name: str, data: Any, fmt: str, locator) -> _Source:
    """A list of videos, one video object, or {"videos": [...]} as header + rows."""
    base: tuple = ()
    extra: list[str] = []
    if isinstance(data, dict) and isinstance(data.get("videos"), list):
        extra = [f"{k} (top level)" for k in data if k != "videos"]
        items, base = data["videos"], ("videos",)
    elif isinstance(data, dict):
        items = [data]
    elif isinstance(data, list):
        items = data
    else:
        raise AdvisorError([Problem(file=name, line=1 if locator else None, message=T(
            zh="应为视频列表、单个视频对象或 {videos: [...]}",
            en="expected a list of videos, one video object, or {videos: [...]}"))])
    header: list[str] = []
    index: dict[str, int] = {}
    for item in items:
        if isinstance(item, dict):
            for key in item:
                if str(key) not in index:
                    index[str(key)] = len(header)
                    header.append(str(key))

    def rows():
        single = isinstance(data, dict) and not base
        for number, item in enumerate(items, start=1):
            path = base if single else base + (number - 1,)
            line = locator.at(path)[0] if locator else None
            if not isinstance(item, dict):
                yield number, line, item, None  # not an object: reported by _import_rows
                continue
            cells: list = [None] * len(header)
            keys: dict[int, Any] = {}
            for key, value in item.items():
                cells[index[str(key)]] = value
                keys[index[str(key)]] = key
            locate = (lambda i, p=path, k=keys: locator.at(p + (k.get(i),))) if locator else None
            yield number, line, cells, locate

    return _Source(format=fmt, header=header, rows=rows(), extra_ignored=extra)


def _table_source(name: str, text: str, delimiter: Optional[str], is_header: Callable[[list], bool]) -> _Source:
    table = read_table(text, name, delimiter=delimiter, is_header=is_header, located=True)
    return _Source(format="tsv" if table.delimiter == "\t" else "csv", header=table.header, rows=table.rows,
                   header_line=table.header_line, delimiter=table.delimiter)


@dataclass
class Table:
    """A delimited text table: its header row, and an iterator over the rows below it."""

    header: list[str]  # the cells as written, stripped (and without a stray BOM)
    header_line: int
    delimiter: str
    rows: Iterator[tuple]  # (row number, line, cells), blank rows included; located: (row number, line, cells, None)


def read_table(text: str, name: str, *, delimiter: Optional[str] = None,
               is_header: Callable[[list], bool] = lambda row: True, located: bool = False) -> Table:
    """Split decoded text into a header and rows; the delimiter is sniffed when not given.

    The header is the first non-empty row `is_header` accepts among the first few (an export
    may put a title line or two above it), else the first non-empty row. Row N is the Nth line
    after the header (see the module docstring). A malformed line raises AdvisorError, when the
    header is read or, for a later line, from the rows iterator (the rows before it are kept).
    """
    if delimiter is None:
        delimiter = _sniff_delimiter(text)
    return read_table_lines(io.StringIO(text, newline=""), name, delimiter=delimiter, is_header=is_header,
                            located=located)


def read_table_lines(lines, name: str, *, delimiter: str, is_header: Callable[[list], bool] = lambda row: True,
                     on_close: Optional[Callable[[], None]] = None, located: bool = False) -> Table:
    """read_table over an iterable of lines (a text file opened with newline=""), read as the
    rows are asked for. on_close: called when the rows are exhausted or dropped. located: the
    rows as a _Source's (number, line, cells, None), without a generator around them."""
    reader = csv.reader(lines, delimiter=delimiter)

    def next_row() -> tuple[Optional[list[str]], int]:
        start = reader.line_num + 1
        try:
            return next(reader), start
        except StopIteration:
            return None, start
        except csv.Error as exc:
            raise AdvisorError([Problem(file=name, line=reader.line_num or start, message=T(
                zh=f"表格格式错误:{exc}", en=f"malformed table: {exc}"))]) from None

    first: Optional[tuple[list[str], int]] = None
    header: Optional[tuple[list[str], int]] = None
    seen = 0
    while seen < HEADER_SEARCH_ROWS:
        row, line = next_row()
        if row is None:
            break
        if not any(cell.strip() for cell in row):
            continue
        seen += 1
        first = first or (row, line)
        if is_header(row):
            header = (row, line)
            break
    if first is None:
        raise AdvisorError([Problem(file=name, line=1, message=T(
            zh="文件是空的,没有表头", en="the file is empty: no header row"))])
    # (Without a header, the rows read while searching are not replayed: no cell of `first`
    # is a known column, so the caller refuses the file before any row is needed.)
    cells, header_line = header or first

    def rows():
        # next_row() written out: the reader is iterated directly (a call less per row), each
        # row's line being the one after the last line read before it.
        number = 0
        start = reader.line_num + 1
        try:
            for row in reader:
                number += 1
                yield (number, start, row, None) if located else (number, start, row)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise AdvisorError([Problem(file=name, line=reader.line_num or start, message=T(
                zh=f"表格格式错误:{exc}", en=f"malformed table: {exc}"))]) from None
        finally:
            if on_close is not None:
                on_close()

    return Table([c.replace("\ufeff", "").strip() for c in cells], header_line, delimiter, rows())


def _stream_table_source(path: Path, name: str, delimiter: Optional[str], is_header: Callable[[list], bool]) -> _Source:
    """A CSV/TSV/TXT file on disk, read line by line (see iter_videos(stream=True)).

    The encoding is decided as decode() decides it, by a first streaming read of the whole file
    (a GB18030 export is told from UTF-8 by its bytes, possibly far from the start), then the
    file is opened as text and the csv module reads it a line at a time.
    """
    encoding = _sniff_encoding(path, name)
    handle = open(path, encoding=encoding, newline="", buffering=STREAM_BLOCK)  # a system call per MB
    register_input(os.fstat(handle.fileno()), name)  # no report may be written over it
    try:
        head = handle.read(STREAM_BLOCK)
        if delimiter is None:
            delimiter = _sniff_delimiter(head)
        handle.seek(0)
        table = read_table_lines(handle, name, delimiter=delimiter, is_header=is_header, on_close=handle.close,
                                 located=True)
    except BaseException:
        handle.close()
        raise
    return _Source(format="tsv" if table.delimiter == "\t" else "csv", header=table.header, rows=table.rows,
                   header_line=table.header_line, delimiter=table.delimiter, encoding=encoding)


STREAM_BLOCK = 1 << 20


def _sniff_encoding(path: Path, name: str) -> str:
    """decode()'s choice of encoding for a file, reading it a block at a time."""

    def blocks():
        with path.open("rb") as handle:
            while True:
                block = handle.read(STREAM_BLOCK)
                if not block:
                    return
                yield block

    def fails(encoding: str) -> Optional[int]:
        """The byte offset of the first undecodable byte, None when the whole file decodes."""
        decoder = codecs.getincrementaldecoder(encoding)()
        offset = 0
        try:
            for block in blocks():
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    return offset + max(exc.start, 0)
                offset += len(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset
        return None

    def error(offset: int, tried: str) -> AdvisorError:
        line, seen = 1, 0
        for block in blocks():
            if seen + len(block) >= offset:
                line += block.count(b"\n", 0, offset - seen)
                break
            line += block.count(b"\n")
            seen += len(block)
        return _decode_error(name, b"", offset, tried, line=line)

    start = read_head(path, STREAM_BLOCK, name=name)  # not found, a folder, unreadable: as read_file says
    _refuse_workbook(start, name)
    if start[:2] in (b"\xff\xfe", b"\xfe\xff"):
        bad = fails("utf-16")
        if bad is not None:
            raise error(bad, "UTF-16")
        return "utf-16"
    bad = fails("utf-8-sig")
    if bad is not None:
        if b"\x00" in start[:4096]:
            raise error(bad, "UTF-8")
        if fails("gb18030") is not None:
            raise error(bad, "UTF-8 / GB18030")
        return "gb18030"
    if "\x00" in start.decode("utf-8-sig", errors="ignore")[:4096]:  # as decode() checks it
        raise error(start.find(b"\x00"), "UTF-8")
    return "utf-8-sig" if start[:3] == b"\xef\xbb\xbf" else "utf-8"


def _sniff_delimiter(text: str) -> str:
    """Comma, tab or semicolon: whichever the first non-empty line has most of."""
    for line in text.splitlines():
        if line.strip():
            counts = {d: line.count(d) for d in ("\t", ",", ";")}
            best = max(counts, key=counts.get)
            return best if counts[best] else ","
    return ","


# --- rows -> videos -----------------------------------------------------------------------------


def _check_header(name: str, source: _Source, hmap: HeaderMap) -> None:
    line = source.header_line or (1 if source.format == "yaml" else None)
    if not hmap.fields and source.header:
        shown = ", ".join(source.header[:8]) + (" …" if len(source.header) > 8 else "")
        raise AdvisorError([Problem(file=name, line=line, message=T(
            zh=f"表头中没有可识别的列(档案 {hmap.profile.id}):{shown};应有如 视频ID、播放量、id、views 等列",
            en=f"no recognisable column in the header (profile {hmap.profile.id}): {shown}; "
               f"expected columns such as 视频ID, 播放量, id, views"))])
    if "id" not in hmap.columns and source.header:
        if not hmap.id_from or not all(f in hmap.columns for f in hmap.id_from):
            raise AdvisorError([Problem(file=name, line=line, message=T(
                zh=f"没有视频ID列(如 视频ID 或 id),无法区分视频(档案 {hmap.profile.id})",
                en=f"no video id column (such as 视频ID or id), so videos cannot be told apart "
                   f"(profile {hmap.profile.id})"))])


def _import_rows(name: str, source: _Source, hmap: HeaderMap, info: FileInfo,
                 result: ImportResult, first_seen: "SeenIds", fields: bool = False) -> Iterator[VideoMetrics]:
    # One parser per used column, built once per file: the row loop stays small for big files.
    parsers = [(index, fname, value_parser(fname, hmap.values.get(fname))) for index, fname in hmap.fields.items()]
    index_of = {fname: index for index, fname in hmap.fields.items()}
    id_sources = [index_of[f] for f in hmap.id_from if f in index_of] if "id" not in hmap.columns else []
    width = len(source.header)
    unnamed = [i for i, c in enumerate(source.header) if not c]
    stray: set[int] = set()  # cells under no header name that hold data: reported once per file
    defaults = hmap.defaults
    # Every value of a row comes from a field's parser (advisor.input.values), which already
    # checked its type and range, or from the profile (its defaults, its value maps' targets),
    # which loading it checked: validating the model again per row repeated those checks. The
    # profile's part is checked here once per file (a Profile built in code skips its
    # validators); when it does not pass, each row is validated as before, so a bad default is
    # still reported at every row.
    validate = VideoMetrics.from_parsed if _profile_values_valid(hmap) else VideoMetrics.model_validate
    # fields=True: the parsers' values are the video's fields as they are when the model would
    # be built from them unchecked (from_parsed); else the model's own, without the Nones.
    as_values = fields and validate == VideoMetrics.from_parsed and VideoMetrics.trusts_parsed()
    # A table's count columns (most of an export's) are read together when every one of a row's
    # count cells is plain digits: one test of the joined cells and int() of each, instead of a
    # parse_count call per cell (which would return the same ints). The other columns are
    # parsed one by one as before; the values keep the columns' order.
    counted = [(index, fname) for index, fname, parse in parsers if parse is parse_count]
    group = source.format in ("csv", "tsv") and len(counted) > 1
    if group:
        count_cells = itemgetter(*[index for index, _ in counted])
        count_names = [fname for _, fname in counted]
        plain = plain_counts(len(counted))
        others = [parser for parser in parsers if parser[2] is not parse_count]
        # The dict is built with the other columns first: their order when the counts come last.
        counts_last = [p for p in parsers if p[2] is parse_count] == parsers[len(others):]

    # Per file, not per row: what the loop reads of hmap and first_seen does not change while a
    # file is read, and the row counts are kept in locals, written to `info` as the loop ends.
    alternates = hmap.alternates
    skip = first_seen.skip
    rows = videos = 0
    try:
        for number, line, cells, locate in source.rows:
            if not isinstance(cells, list):
                rows += 1
                result.problems.append(Problem(file=name, line=line, row=number, message=T(
                    zh=f"应为一个视频对象(键值映射),实际为 {type(cells).__name__}",
                    en=f"expected a video object (a mapping), found {type(cells).__name__}")))
                continue
            try:  # _blank_row written out for table rows (all str)
                blank = not "".join(cells).strip()
            except TypeError:
                blank = _blank_row(cells)
            if blank:
                continue  # an empty row: skipped silently
            rows += 1
            grouped = group
            if len(cells) != width or unnamed:
                stray.update(i for i in [*unnamed, *range(width, len(cells))]
                             if i < len(cells) and str(cells[i]).strip())
                if len(cells) < width:  # a short row: the missing cells are empty
                    cells = cells + [None] * (width - len(cells))
                    grouped = False  # None cannot be joined: each cell is parsed

            names = None  # per-row column names, when an object used an alias key
            if alternates:
                cells, names = _merge_alternates(cells, alternates)

            # Fast path: every cell parses. On the first bad one, redo the row cell by cell to
            # list each bad value (a row is imported whole or not at all).
            try:
                if grouped and plain(",".join(counts := count_cells(cells))):
                    values = {fname: value for index, fname, parse in others
                              if (value := parse(cells[index])) is not None}
                    values.update(zip(count_names, map(int, counts)))
                    if not counts_last:
                        values = {fname: values[fname] for _, fname, _ in parsers if fname in values}
                else:
                    values = {fname: value for index, fname, parse in parsers
                              if (value := parse(cells[index])) is not None}
                problems: Sequence[Problem] = ()  # none (a list only when there are some)
            except ValueProblem:
                values, problems = _parse_slowly(name, number, line, cells, locate, parsers, hmap, names,
                                                 source.header)
            if "id" not in values:
                problems = list(problems)
                _fill_id(name, number, line, cells, id_sources, hmap, values, problems)
            if problems:
                result.problems.extend(problems)
                continue
            for key, value in defaults.items():
                values.setdefault(key, value)
            if as_values:
                video, video_id = values, values["id"]
            else:
                try:
                    video = validate(values)
                except ValidationError as exc:  # parsers check bounds already; this is a safety net
                    for problem in problems_from_validation_error(exc, None, name):
                        fname = problem.field or ""
                        result.problems.append(replace(problem, line=line, row=number, field=fname or None,
                                                       column=hmap.columns.get(fname)))
                    continue
                video_id = video.id
                if fields:
                    video = {key: value for key, value in video.__dict__.items() if value is not None}
            if skip is not None:  # a second reading: the first found the duplicates
                if (name, number) in skip:
                    continue
                videos += 1
                yield video
                continue
            seen = first_seen.first(video_id, name, number)
            if seen is not None:
                result.problems.append(Problem(
                    file=name, line=line, row=number, column=hmap.columns.get("id"), field="id", message=T(
                        zh=f"视频ID「{video_id}」重复:已在 {seen[0]} 第 {seen[1]} 行出现,保留第一次,本行未导入",
                        en=f"duplicate video id '{video_id}': already in {seen[0]} row {seen[1]}; "
                           f"the first is kept, this row is not imported")))
                continue
            videos += 1
            yield video
    finally:
        info.rows += rows
        info.videos += videos

    for index in sorted(stray):
        label = source.header[index] if index < width and source.header[index] else None
        info.ignored_columns.append(label or f"#{index + 1}")


def _profile_values_valid(hmap: HeaderMap) -> bool:
    """Whether the values a profile adds to rows are what the model would store for them: its
    defaults, and the targets of its value maps for choice fields (e.g. form: {图文: image_text})."""
    for name, mapping in hmap.values.items():
        spec = FIELDS.get(name)
        if spec is None or (spec.kind == "enum" and not set(mapping.values()) <= set(FORMS)):
            return False
    defaults = hmap.defaults
    if not defaults:
        return True
    if "id" in defaults or not set(defaults) <= set(VideoMetrics.model_fields):
        return False
    try:
        video = VideoMetrics.model_validate({"id": "-", **defaults})
    except ValidationError:
        return False
    return all(type(getattr(video, name)) is type(value) and getattr(video, name) == value
               for name, value in defaults.items())


def _merge_alternates(cells: list, alternates: dict[int, list[int]]) -> tuple[list, dict[int, int]]:
    """Fill an absent preferred key from the first alias key the object has.

    Returns the cells and, for each filled column, the index of the key actually used.
    """
    cells, used = list(cells), {}
    for primary, others in alternates.items():
        if cells[primary] is None:
            for index in others:
                if cells[index] is not None:
                    cells[primary], used[primary] = cells[index], index
                    break
    return cells, used


def _parse_slowly(name, number, line, cells, locate, parsers, hmap, names=None, header=()) -> tuple[dict, list[Problem]]:
    """Parse a row cell by cell, listing every bad value with its row, column and field."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for index, fname, parse in parsers:
        try:
            value = parse(cells[index])
        except ValueProblem as exc:
            written = (names or {}).get(index, index)  # the key this object actually used
            column = hmap.columns[fname] if written == index else header[written]
            where = locate(written) if locate else (line, None)
            problems.append(Problem(file=name, line=where[0], col=where[1], row=number,
                                    column=column, field=fname, message=exc.message))
            continue
        if value is not None:
            values[fname] = value
    return values, problems


def _fill_id(name, number, line, cells, id_sources, hmap, values, problems) -> None:
    """Make the id from the profile's `id_from` cells, or list the row as missing its id."""
    if any(p.field == "id" for p in problems):
        return  # the id cell itself was bad and is already listed
    if id_sources:
        parts = [str(cells[i]).strip() for i in id_sources if cells[i] is not None]
        if len(parts) == len(id_sources) and all(parts):
            values["id"] = " ".join(parts)
            return
    made_from = " + ".join(hmap.columns[f] for f in hmap.id_from if f in hmap.columns) if id_sources else ""
    problems.append(Problem(
        file=name, line=line, row=number, column=hmap.columns.get("id"), field="id",
        message=T(zh="缺少视频ID" + (f"(由 {made_from} 组成)" if made_from else ""),
                  en="missing video id" + (f" (made of {made_from})" if made_from else ""))))


def _blank_row(cells: list) -> bool:
    try:
        return not "".join(cells).strip()  # table rows: all str
    except TypeError:  # JSON/YAML values: 0 and False are values, not blanks
        return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)
