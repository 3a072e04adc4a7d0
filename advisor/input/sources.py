"""Reading an input file, or standard input for '-', with a size limit and located problems.

Every command that reads a user's file (exports, viewer tables, plans, CTA texts, YAML) reads it
here, so a missing file, a folder, an unreadable or an oversized file is reported the same way
everywhere: one bilingual Problem naming the file, never a traceback. Decoding stays with the
callers (exports may be GB18030 or UTF-16; rule files, plans and texts are UTF-8), apart from the
strict UTF-8 decoding several of them share (`decode_utf8`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import BinaryIO, Optional, TextIO, Union

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import T
from advisor.core.output import register_input

STDIN = "-"
STDIN_NAME = "<stdin>"


def too_large(max_bytes: int, *, file: bool = True) -> T:
    what = T(zh="文件", en="file") if file else T(zh="输入", en="input")
    return T(zh=f"{what.zh}过大(上限 {max_bytes} 字节)", en=f"{what.en} too large (limit {max_bytes} bytes)")


def read_bytes(path: Union[str, Path], *, max_bytes: Optional[int],
               stdin: Union[BinaryIO, TextIO, None] = None) -> tuple[bytes, str]:
    """(bytes, name) of `path`, or of standard input for '-' (`stdin` when given, else sys.stdin).

    `name` is what problems call the input: the path as given, or '<stdin>'. `max_bytes` None
    means no limit. A text stream (a test's injected input) is encoded as UTF-8.
    """
    if str(path) != STDIN:
        return read_file(path, max_bytes=max_bytes), str(path)
    stream = stdin if stdin is not None else sys.stdin.buffer
    # One byte past the limit is enough to know the input is too large, without reading it all.
    data = stream.read() if max_bytes is None else stream.read(max_bytes + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if max_bytes is not None and len(data) > max_bytes:
        raise AdvisorError([Problem(too_large(max_bytes, file=False), file=STDIN_NAME)])
    return data, STDIN_NAME


def read_head(path: Union[str, Path], size: int, *, name: Optional[str] = None) -> bytes:
    """The first `size` bytes of the file at `path`, with read_file's errors (a file read later a
    piece at a time is checked, and registered as an input, here)."""
    return read_file(path, max_bytes=None, name=name, limit=size)


def read_file(path: Union[str, Path], *, max_bytes: Optional[int], name: Optional[str] = None,
              limit: Optional[int] = None) -> bytes:
    """The bytes of the file at `path` ('-' is a file name here); `name` is what problems call it."""
    name = name or str(path)
    path = Path(path)

    def fail(message: T) -> AdvisorError:
        return AdvisorError([Problem(message, file=name)])

    try:
        if path.is_dir():  # checked first: reading a folder fails differently on each system
            raise fail(T(zh="这是一个文件夹,不是文件", en="this is a folder, not a file"))
        if max_bytes is not None and path.stat().st_size > max_bytes:
            raise fail(too_large(max_bytes))
        with path.open("rb") as handle:
            register_input(os.fstat(handle.fileno()), name)  # no report may be written over it
            if limit is not None:
                return handle.read(limit)
            data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise fail(T(zh="文件不存在", en="file not found")) from None
    except IsADirectoryError:
        raise fail(T(zh="这是一个文件夹,不是文件", en="this is a folder, not a file")) from None
    except OSError as exc:
        raise fail(T(zh=f"无法读取文件:{exc.strerror}", en=f"cannot read the file: {exc.strerror}")) from None
    if max_bytes is not None and len(data) > max_bytes:  # the file grew after stat()
        raise fail(too_large(max_bytes))
    return data


def decode_utf8(data: bytes, name: str, message: T) -> str:
    """`data` as UTF-8 (a BOM is dropped); else AdvisorError with `message` at the first bad line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise AdvisorError([Problem(message, file=name, line=line)]) from None
