"""Safe YAML loading with positions, for every user-editable YAML file.

`load_yaml` returns plain Python data (dict, list, str, int, float, bool, None) and a
`Locator` that gives the line:col of any key path, so a validation error can point at the
line to fix. It composes nodes with yaml.SafeLoader's parser (never an unsafe loader), then
builds the data itself, which lets it:
- refuse anchors and aliases (they allow "billion laughs" blow-ups and are never needed here);
- refuse duplicate keys (PyYAML silently keeps the last one);
- use YAML 1.2 scalars: only true/false are booleans (so `on:` and `no` stay strings), numbers
  are decimal (`010` is 10, `1:05` is a string), and dates stay strings (pydantic reads them);
- enforce size, depth and node-count limits.

`problems_from_validation_error` turns a pydantic ValidationError into located, bilingual
Problems; every loader of rules, levels, profiles, plans and configs uses it.
"""

from __future__ import annotations

import os
import re
import types
from pathlib import Path
from typing import Annotated, Any, Callable, Iterable, Mapping, Union, get_args, get_origin

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import AdvisorError, Problem, did_you_mean
from .i18n import T

KeyPath = tuple  # of str keys and int indices, as in pydantic's error `loc`


class Locator:
    """Positions (1-based line, col) of the nodes of one loaded YAML document."""

    def __init__(self, file: str | None = None):
        self.file = file
        self._keys: dict[tuple, tuple[int, int]] = {}  # a mapping entry: where its key is
        self._values: dict[tuple, tuple[int, int]] = {}  # where the value node starts

    def at(self, path: Iterable) -> tuple[int, int]:
        """Where the node at `path` is: a dict entry's key, a list item, else its nearest parent.

        Path elements that are not in the document (pydantic adds union member tags such as
        'function-after[...]' to `loc`) are skipped, so the answer is the deepest known node.
        """
        found: tuple = ()
        for part in tuple(path):
            candidate = found + (part,)
            if candidate in self._keys:
                found = candidate
        return self._keys.get(found, (1, 1))

    def value_at(self, path: Iterable) -> tuple[int, int]:
        """Where the value (not the key) at `path` starts; falls back like `at`."""
        path = tuple(path)
        if path in self._values:
            return self._values[path]
        return self.at(path)

    def paths(self) -> list[tuple]:
        return list(self._keys)


class _Refused(Exception):
    """Raised inside the composer; turned into a located Problem by load_yaml."""

    def __init__(self, mark, message: T):
        self.mark = mark
        self.message = message


class _Loader(yaml.SafeLoader):
    """SafeLoader's reader/scanner/parser with a composer that refuses aliases and big trees."""

    max_depth = 32
    max_nodes = 200_000

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(event.start_mark, T(
                zh="不支持 YAML 锚点和别名(& 与 *):请把内容直接写出来",
                en="YAML anchors and aliases (& and *) are not supported: write the content out"))
        self._nodes += 1
        if self._nodes > self.max_nodes:
            raise _Refused(event.start_mark, T(
                zh=f"YAML 节点过多(上限 {self.max_nodes})", en=f"too many YAML nodes (limit {self.max_nodes})"))
        self._depth += 1
        if self._depth > self.max_depth:
            raise _Refused(event.start_mark, T(
                zh=f"YAML 嵌套过深(上限 {self.max_depth} 层)", en=f"YAML nested too deeply (limit {self.max_depth} levels)"))
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# YAML 1.2 core schema scalars instead of PyYAML's YAML 1.1 ones (see the module docstring).
_Loader.yaml_implicit_resolvers = {}
_NULL, _BOOL, _INT, _FLOAT, _STR = (f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "str"))
_Loader.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


def load_yaml(
    path_or_text: Union[str, bytes, os.PathLike],
    *,
    filename: str | None = None,
    max_bytes: int = 1_000_000,
    max_depth: int = 32,
    max_nodes: int = 200_000,
) -> tuple[Any, Locator]:
    """Load one YAML document safely; return (data, locator). Raises AdvisorError.

    A `Path` (any os.PathLike) is read as a file. A `str` is YAML text, except a one-line str
    naming an existing file, which is read as that file. `bytes` are UTF-8 text (a BOM is
    fine). `filename` is what problems call the input (defaults to the path, else "<input>").
    An empty document loads as None.
    """
    text, file = _read(path_or_text, filename, max_bytes)
    locator = Locator(file)

    def fail(line: int | None, col: int | None, message: T):
        raise AdvisorError([Problem(file=file, line=line, col=col, message=message)])

    loader = None
    try:
        loader = _Loader(text)  # the reader checks for control characters right away
        loader.max_depth, loader.max_nodes = max_depth, max_nodes
        node = loader.get_single_node()
    except _Refused as exc:
        fail(exc.mark.line + 1, exc.mark.column + 1, exc.message)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        fail(mark.line + 1 if mark else None, mark.column + 1 if mark else None, _syntax_message(exc))
    except yaml.reader.ReaderError as exc:  # a control character: no mark, only an offset
        line = text.count("\n", 0, exc.position) + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        fail(line, None, T(zh=f"YAML 中有不允许的字符 {char}",
                           en=f"YAML holds a character that is not allowed: {char}"))
    except yaml.YAMLError as exc:
        fail(None, None, T(zh=f"YAML 无法读取:{exc}", en=f"YAML cannot be read: {exc}"))
    except RecursionError:
        fail(None, None, T(zh="YAML 嵌套过深", en="YAML nested too deeply"))
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        return None, locator
    locator._keys[()] = locator._values[()] = _pos(node)
    try:
        return _build(node, (), locator), locator
    except _Refused as exc:
        fail(exc.mark.line + 1, exc.mark.column + 1, exc.message)


def _read(source, filename: str | None, max_bytes: int) -> tuple[str, str]:
    too_big = T(zh=f"文件过大(上限 {max_bytes} 字节)", en=f"file too large (limit {max_bytes} bytes)")
    path: Path | None = None
    if isinstance(source, os.PathLike):
        path = Path(source)
    elif isinstance(source, str) and "\n" not in source and source.strip() and len(source) < 4096:
        try:
            if Path(source).is_file():
                path = Path(source)
        except (OSError, ValueError):
            pass
    file = filename or (str(path) if path is not None else "<input>")
    if path is not None:
        try:
            if path.stat().st_size > max_bytes:
                raise AdvisorError([Problem(file=file, message=too_big)])
            data: bytes | str = path.read_bytes()
        except FileNotFoundError:
            raise AdvisorError([Problem(file=file, message=T(zh="文件不存在", en="file not found"))]) from None
        except IsADirectoryError:
            raise AdvisorError([Problem(file=file, message=T(zh="这是一个文件夹,不是文件", en="this is a folder, not a file"))]) from None
        except OSError as exc:
            raise AdvisorError([Problem(file=file, message=T(zh=f"无法读取文件:{exc.strerror}", en=f"cannot read the file: {exc.strerror}"))]) from None
    else:
        data = source
    if isinstance(data, str):
        if len(data) > max_bytes and len(data.encode("utf-8")) > max_bytes:
            raise AdvisorError([Problem(file=file, message=too_big)])
        return data.lstrip("\ufeff"), file
    if len(data) > max_bytes:
        raise AdvisorError([Problem(file=file, message=too_big)])
    try:
        return data.decode("utf-8-sig"), file
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise AdvisorError([Problem(file=file, line=line, message=T(
            zh="YAML 文件须为 UTF-8 编码", en="a YAML file must be UTF-8 encoded"))]) from None


def _syntax_message(exc: yaml.MarkedYAMLError) -> T:
    what = " ".join(p for p in (exc.context, exc.problem) if p)
    hint_zh = hint_en = ""
    if "\\t" in what or "'\\t'" in what or "\t" in what:
        hint_zh, hint_en = "(缩进请用空格,不要用 Tab)", " (indent with spaces, not tabs)"
    if "expected a single document" in what:
        return T(zh="一个文件只能有一个 YAML 文档(去掉多余的 ---)",
                 en="a file holds one YAML document only (remove the extra ---)")
    return T(zh=f"YAML 语法错误:{what}{hint_zh}", en=f"YAML syntax error: {what}{hint_en}")


def _pos(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(node, path: tuple, locator: Locator) -> Any:
    """Plain Python data from a composed node, recording positions on the way."""
    if isinstance(node, ScalarNode):
        return _scalar(node)
    if isinstance(node, SequenceNode):
        _check_tag(node, "tag:yaml.org,2002:seq")
        items = []
        for index, child in enumerate(node.value):
            locator._keys[path + (index,)] = locator._values[path + (index,)] = _pos(child)
            items.append(_build(child, path + (index,), locator))
        return items
    if isinstance(node, MappingNode):
        _check_tag(node, "tag:yaml.org,2002:map")
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _Refused(key_node.start_mark, T(zh="键必须是简单值", en="a key must be a plain value"))
            key = _scalar(key_node)
            if key in out:
                first = locator._keys[path + (key,)]
                raise _Refused(key_node.start_mark, T(
                    zh=f"重复的键 '{key}'(第一次出现在第 {first[0]} 行)",
                    en=f"duplicate key '{key}' (first at line {first[0]})"))
            locator._keys[path + (key,)] = _pos(key_node)
            locator._values[path + (key,)] = _pos(value_node)
            out[key] = _build(value_node, path + (key,), locator)
        return out
    raise _Refused(node.start_mark, T(zh="无法识别的 YAML 节点", en="unrecognised YAML node"))


def _check_tag(node, expected: str) -> None:
    if node.tag != expected:
        raise _Refused(node.start_mark, T(zh=f"不支持 YAML 标签 {node.tag}", en=f"YAML tag {node.tag} is not supported"))


def _scalar(node: ScalarNode) -> Any:
    tag, value = node.tag, node.value
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value.lower() == "true"
    try:
        if tag == _INT:
            return int(value)
        if tag == _FLOAT:
            lowered = value.lower()
            if lowered.endswith(".inf"):
                return float("-inf") if lowered.startswith("-") else float("inf")
            if lowered == ".nan":
                return float("nan")
            return float(value)
    except ValueError:  # e.g. an integer with more digits than Python converts
        raise _Refused(node.start_mark, T(zh=f"数字无法读取:{value[:40]}", en=f"unreadable number: {value[:40]}")) from None
    raise _Refused(node.start_mark, T(zh=f"不支持 YAML 标签 {tag}", en=f"YAML tag {tag} is not supported"))


# --- pydantic errors -> located problems --------------------------------------------------------

KnownKeys = Union[Callable[[tuple], Iterable[str]], Mapping[tuple, Iterable[str]], None]


def problems_from_validation_error(
    exc,
    locator: Locator | None,
    file: str | None,
    base_path: tuple = (),
    *,
    known_keys: KnownKeys = None,
    model: type | None = None,
) -> list[Problem]:
    """Located, bilingual Problems for a pydantic ValidationError.

    `base_path` is where the validated object sits in the YAML document (e.g. ("rules", 3)).
    For 'unknown key' hints, the allowed keys at a path (relative to the validated object) come
    from `known_keys` (a callable or a dict keyed by path) or, failing that, from walking
    `model` (the validated pydantic class) along the path.
    A custom validator may raise `ValueError(T(...))` to have its bilingual message shown as is.
    """
    problems: list[Problem] = []
    seen: set = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        full = tuple(base_path) + loc
        line, col = locator.at(full) if locator is not None else (None, None)
        message = _error_message(err, loc, known_keys, model)
        key = (line, col, message)
        if key in seen:  # union members often repeat the same complaint
            continue
        seen.add(key)
        problems.append(Problem(file=file, line=line, col=col, field=_dotted(full) or None, message=message))
    # In file order, as people fix them (pydantic reports in field-declaration order).
    problems.sort(key=lambda p: (p.line is None, p.line or 0, p.col or 0))
    return problems


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _found(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _error_message(err: dict, loc: tuple, known_keys: KnownKeys, model: type | None) -> T:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    last = loc[-1] if loc else ""
    value = err.get("input")

    if kind == "missing":
        return T(zh=f"缺少必填的键 '{last}'", en=f"missing required key '{last}'")
    if kind == "extra_forbidden":
        keys = _known_at(loc[:-1], known_keys, model)
        hint = did_you_mean(str(last), keys) if keys else None
        extra_zh = f"({hint.zh})" if hint else (f"(可用的键:{', '.join(sorted(keys))})" if keys else "")
        extra_en = f" ({hint.en})" if hint else (f" (known keys: {', '.join(sorted(keys))})" if keys else "")
        return T(zh=f"未知的键 '{last}'{extra_zh}", en=f"unknown key '{last}'{extra_en}")
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        hint = None
        choices = re.findall(r"'([^']*)'", str(expected))
        if isinstance(value, str) and choices:
            hint = did_you_mean(value, choices)
        tail_zh, tail_en = (f"({hint.zh})", f" ({hint.en})") if hint else ("", "")
        return T(zh=f"应为以下之一:{expected},实际为 {_found(value)}{tail_zh}",
                 en=f"expected one of {expected}, found {_found(value)}{tail_en}")
    if kind in ("value_error", "assertion_error"):
        error = ctx.get("error")
        if isinstance(error, Exception) and error.args and isinstance(error.args[0], T):
            return error.args[0]
    bounds = {
        "greater_than_equal": ("ge", "应 ≥ {}", "must be ≥ {}"),
        "greater_than": ("gt", "应 > {}", "must be > {}"),
        "less_than_equal": ("le", "应 ≤ {}", "must be ≤ {}"),
        "less_than": ("lt", "应 < {}", "must be < {}"),
        "string_too_short": ("min_length", "至少 {} 个字符", "at least {} characters"),
        "string_too_long": ("max_length", "至多 {} 个字符", "at most {} characters"),
        "too_short": ("min_length", "至少 {} 项", "at least {} items"),
        "too_long": ("max_length", "至多 {} 项", "at most {} items"),
        "string_pattern_mismatch": ("pattern", "应匹配格式 {}", "must match the pattern {}"),
    }
    if kind in bounds:
        key, zh, en = bounds[kind]
        limit = ctx.get(key, "?")
        return T(zh=f"{zh.format(limit)},实际为 {_found(value)}", en=f"{en.format(limit)}, found {_found(value)}")
    types = {
        "int_type": ("整数", "a whole number"), "int_parsing": ("整数", "a whole number"),
        "int_from_float": ("整数", "a whole number"),
        "float_type": ("数字", "a number"), "float_parsing": ("数字", "a number"),
        "finite_number": ("有限的数字", "a finite number"),
        "string_type": ("文字(字符串)", "text (a string)"),
        "bool_type": ("true 或 false", "true or false"), "bool_parsing": ("true 或 false", "true or false"),
        "dict_type": ("键值映射(key: value)", "a mapping (key: value)"),
        "model_type": ("键值映射(key: value)", "a mapping (key: value)"),
        "model_attributes_type": ("键值映射(key: value)", "a mapping (key: value)"),
        "list_type": ("列表(- 项)", "a list (- item)"), "tuple_type": ("列表(- 项)", "a list (- item)"),
        "set_type": ("列表(- 项)", "a list (- item)"),
        "date_type": ("日期,如 2026-06-25", "a date, like 2026-06-25"),
        "date_parsing": ("日期,如 2026-06-25", "a date, like 2026-06-25"),
        "date_from_datetime_parsing": ("日期,如 2026-06-25", "a date, like 2026-06-25"),
        "none_required": ("空值(null)", "nothing (null)"),
    }
    if kind in types:
        zh, en = types[kind]
        return T(zh=f"应为{zh},实际为 {_found(value)}", en=f"expected {en}, found {_found(value)}")
    msg = err.get("msg", kind)
    return T(zh=f"取值无效:{msg}", en=f"invalid value: {msg}")


def _known_at(path: tuple, known_keys: KnownKeys, model: type | None) -> list[str]:
    try:
        if callable(known_keys):
            return list(known_keys(path) or [])
        if known_keys is not None:
            return list(known_keys.get(path, []))
        if model is not None:
            return sorted(_model_fields_at(model, path))
    except Exception:  # a hint is optional: never fail the error report over it
        return []
    return []


def _model_fields_at(model: Any, path: tuple) -> set[str]:
    """Field names (and aliases) of the pydantic model(s) reached by walking `path` from `model`.

    Optional/Union/Annotated are flattened; list items and dict values are stepped into; path
    parts that match nothing (pydantic's union tags) are skipped.
    """
    from pydantic import BaseModel

    def is_model(tp: Any) -> bool:
        return isinstance(tp, type) and issubclass(tp, BaseModel)

    def flatten(tp: Any) -> list:
        origin = get_origin(tp)
        if origin is Union or origin is types.UnionType:  # Optional[X], X | Y
            return [x for arg in get_args(tp) for x in flatten(arg)]
        if origin is Annotated:
            return flatten(get_args(tp)[0])
        return [tp]

    def step(tp: Any, part: Any) -> list:
        if is_model(tp):
            if part == tp.__name__:
                return [tp]
            for name, info in tp.model_fields.items():
                if part in (name, info.alias):
                    return flatten(info.annotation)
            return []
        origin, args = get_origin(tp), get_args(tp)
        if origin in (list, tuple, set, frozenset) and args and isinstance(part, int):
            return flatten(args[0])
        if origin is dict and len(args) == 2:
            return flatten(args[1])
        return []

    current = flatten(model)
    for part in path:
        nxt = [t for tp in current for t in step(tp, part)]
        if nxt:
            current = nxt
    names: set[str] = set()
    for tp in current:
        if is_model(tp):
            names.update(info.alias or name for name, info in tp.model_fields.items())
    return names
