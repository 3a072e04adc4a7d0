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
from pydantic import BaseModel
from yaml.nodes import ScalarNode

from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.i18n import T
from advisor.input.sources import decode_utf8, read_file, too_large

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
    """Raised while building; turned into a located Problem by load_yaml."""

    def __init__(self, mark, message: T):
        self.mark = mark
        self.message = message


class _Resolver12(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema scalars instead of PyYAML's YAML 1.1 ones (see the module docstring)."""


_Resolver12.yaml_implicit_resolvers = {}
_NULL, _BOOL, _INT, _FLOAT, _STR = (f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "str"))
_Resolver12.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Resolver12.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Resolver12.add_implicit_resolver(_INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Resolver12.add_implicit_resolver(
    _FLOAT,
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)
_RESOLVER = _Resolver12()

# libyaml's parser (C) when PyYAML was built with it, else PyYAML's pure-Python one: same events.
# Only the parser is used: the document is built from its events below, without PyYAML's
# composer, so aliases, depth and size are checked as the events arrive (no recursion, no
# alias expansion) and the rule files load in milliseconds.
_Parser = yaml.cyaml.CParser if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader


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

    try:
        data = _build(text, locator, max_depth, max_nodes)
    except _Refused as exc:
        fail(exc.mark.line + 1, exc.mark.column + 1, exc.message)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        fail(mark.line + 1 if mark else None, mark.column + 1 if mark else None, _syntax_message(exc, text))
    except yaml.reader.ReaderError as exc:  # a control character: no mark, only an offset
        line = text.count("\n", 0, exc.position) + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        fail(line, None, T(zh=f"YAML 中有不允许的字符 {char}",
                           en=f"YAML holds a character that is not allowed: {char}"))
    except yaml.YAMLError as exc:
        fail(None, None, T(zh=f"YAML 无法读取:{exc}", en=f"YAML cannot be read: {exc}"))
    return data, locator


def _read(source, filename: str | None, max_bytes: int) -> tuple[str, str]:
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
    # read_file, not read_bytes: a path named '-' is a file here, never standard input.
    data = read_file(path, max_bytes=max_bytes, name=file) if path is not None else source
    if isinstance(data, str):
        if len(data) > max_bytes and len(data.encode("utf-8")) > max_bytes:
            raise AdvisorError([Problem(file=file, message=too_large(max_bytes))])
        return data.lstrip("\ufeff"), file
    if len(data) > max_bytes:
        raise AdvisorError([Problem(file=file, message=too_large(max_bytes))])
    return decode_utf8(data, file, T(zh="YAML 文件须为 UTF-8 编码", en="a YAML file must be UTF-8 encoded")), file


def _tab_at(text: str, mark) -> bool:
    """Whether the parser stopped at a tab (libyaml does not say so in its message)."""
    if mark is None:
        return False
    lines = text.split("\n")
    return mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]


def _syntax_message(exc: yaml.MarkedYAMLError, text: str = "") -> T:
    what = " ".join(p for p in (exc.context, exc.problem) if p)
    hint_zh = hint_en = ""
    if "\\t" in what or "'\\t'" in what or "\t" in what or _tab_at(text, exc.problem_mark):
        hint_zh, hint_en = "(缩进请用空格,不要用 Tab)", " (indent with spaces, not tabs)"
    if "expected a single document" in what:
        return T(zh="一个文件只能有一个 YAML 文档(去掉多余的 ---)",
                 en="a file holds one YAML document only (remove the extra ---)")
    return T(zh=f"YAML 语法错误:{what}{hint_zh}", en=f"YAML syntax error: {what}{hint_en}")


def _pos(mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


_AWAIT_KEY = object()  # a mapping frame waiting for its next key


def _build(text: str, locator: Locator, max_depth: int, max_nodes: int) -> Any:
    """Plain Python data from the parser's events, recording positions on the way.

    A stack of frames [container, path, pending key]; each event adds a scalar or opens or
    closes a container. Anchors, aliases, tags, complex keys and duplicate keys are refused
    where they occur; depth and node count are checked as containers open.
    """
    parser = _Parser(text)
    root: list = []
    stack: list[list] = [[root, (), None]]  # the root frame collects the document
    nodes = 0
    documents = 0
    try:
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, (yaml.StreamStartEvent, yaml.DocumentEndEvent)):
                continue
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _Refused(event.start_mark, T(
                        zh="一个文件只能有一个 YAML 文档(去掉多余的 ---)",
                        en="a file holds one YAML document only (remove the extra ---)"))
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                stack.pop()
                continue
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise _Refused(event.start_mark, T(
                    zh="不支持 YAML 锚点和别名(& 与 *):请把内容直接写出来",
                    en="YAML anchors and aliases (& and *) are not supported: write the content out"))
            nodes += 1
            if nodes > max_nodes:
                raise _Refused(event.start_mark, T(
                    zh=f"YAML 节点过多(上限 {max_nodes})", en=f"too many YAML nodes (limit {max_nodes})"))
            frame = stack[-1]
            container, path, pending = frame
            if isinstance(container, dict) and pending is _AWAIT_KEY:
                if not isinstance(event, yaml.ScalarEvent):
                    raise _Refused(event.start_mark, T(zh="键必须是简单值", en="a key must be a plain value"))
                key = _scalar(event)
                if key in container:
                    first = locator._keys[path + (key,)]
                    raise _Refused(event.start_mark, T(
                        zh=f"重复的键 '{key}'(第一次出现在第 {first[0]} 行)",
                        en=f"duplicate key '{key}' (first at line {first[0]})"))
                locator._keys[path + (key,)] = _pos(event.start_mark)
                frame[2] = key
                continue
            # A value: where it goes, and its path.
            if isinstance(container, dict):
                key = pending
                child_path = path + (key,)
                frame[2] = _AWAIT_KEY
            else:
                key = len(container)
                child_path = path + (key,) if stack[-1] is not stack[0] else ()
                if child_path != ():
                    locator._keys[child_path] = _pos(event.start_mark)
            locator._values[child_path] = _pos(event.start_mark)
            if child_path == ():
                locator._keys[()] = _pos(event.start_mark)
            if isinstance(event, yaml.ScalarEvent):
                value = _scalar(event)
            elif isinstance(event, yaml.MappingStartEvent):
                _check_tag(event, "tag:yaml.org,2002:map")
                value = {}
            elif isinstance(event, yaml.SequenceStartEvent):
                _check_tag(event, "tag:yaml.org,2002:seq")
                value = []
            else:
                raise _Refused(event.start_mark, T(zh="无法识别的 YAML 内容", en="unrecognised YAML content"))
            if isinstance(container, dict):
                container[key] = value
            else:
                container.append(value)
            if isinstance(value, (dict, list)):
                if len(stack) > max_depth:
                    raise _Refused(event.start_mark, T(
                        zh=f"YAML 嵌套过深(上限 {max_depth} 层)",
                        en=f"YAML nested too deeply (limit {max_depth} levels)"))
                stack.append([value, child_path, _AWAIT_KEY if isinstance(value, dict) else None])
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()
    return root[0] if root else None


def _check_tag(event, expected: str) -> None:
    """Explicit tags (!!python/object, !custom ...) are refused: plain data only."""
    if event.tag is not None and event.tag not in ("!", expected):
        raise _Refused(event.start_mark, T(zh=f"不支持 YAML 标签 {event.tag}", en=f"YAML tag {event.tag} is not supported"))


def _scalar(event) -> Any:
    value = event.value
    if event.tag in (None, "!"):
        tag = _RESOLVER.resolve(ScalarNode, value, event.implicit)
    else:
        tag = event.tag  # an explicit !!str, !!int, ...; any other tag is refused below
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
        raise _Refused(event.start_mark, T(zh=f"数字无法读取:{value[:40]}", en=f"unreadable number: {value[:40]}")) from None
    raise _Refused(event.start_mark, T(zh=f"不支持 YAML 标签 {tag}", en=f"YAML tag {tag} is not supported"))


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
