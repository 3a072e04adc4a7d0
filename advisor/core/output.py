"""Writing reports: atomically to a file, or to standard output; never over an input, never a traceback.

- A file is written to a hidden temporary file in the same folder, flushed to disk, then renamed
  over the target in one step: a crash, Ctrl-C, SIGTERM or a full disk leaves the previous file
  intact and no temporary file behind.
- A symbolic link is written through: its target is replaced (atomically), the link stays.
- A file this run has read (an export, a plan, ...) is never the output: compared by device and
  inode, so a symlink or a hard link to an input is caught too.
- Every failure (no such folder, no permission, a full disk, standard output closed or full) is an
  AdvisorError naming the file, so the command exits 2 with one located line.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import T

STDOUT_NAME = "<stdout>"

_INPUTS: dict[tuple[int, int], str] = {}  # (st_dev, st_ino) -> the name the input was read as


def register_input(stat_result: os.stat_result, name: str) -> None:
    """Remember a file this run read, so no report is written over it."""
    _INPUTS[(stat_result.st_dev, stat_result.st_ino)] = name


def reset_inputs() -> None:
    """Forget the inputs (a new command starts)."""
    _INPUTS.clear()


def _problem(message: T, file: str) -> AdvisorError:
    return AdvisorError([Problem(message, file=file)])


def _os_error(exc: OSError, file: str) -> AdvisorError:
    reason = exc.strerror or str(exc)
    if file == STDOUT_NAME:
        message = T(zh=f"无法写到标准输出:{reason}", en=f"cannot write to standard output: {reason}")
    elif exc.errno == errno.ENOSPC:
        message = T(zh="磁盘已满,未写入(原文件保持不变)", en="the disk is full; nothing written (any previous file is unchanged)")
    elif exc.errno == errno.ENOENT:
        message = T(zh="无法写入:文件夹不存在", en="cannot write: no such folder")
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        message = T(zh=f"无法写入:没有权限({reason})", en=f"cannot write: permission denied ({reason})")
    else:
        message = T(zh=f"无法写入:{reason}", en=f"cannot write: {reason}")
    return _problem(message, file)


@contextmanager
def _cleanup_on_sigterm():
    """SIGTERM during a write raises SystemExit, so the temporary file is removed like on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # not allowed here (embedded interpreter)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def write_atomic(path: str | Path, text: str, *, may_be_input: bool = False) -> None:
    """Write `text` to `path` so a crash, a signal or a full disk never leaves a half-written file.

    may_be_input: the file is read and rewritten on purpose (a notebook an entry is appended to).
    """
    with open_atomic(path, may_be_input=may_be_input) as handle:
        handle.write(text)


@contextmanager
def open_atomic(path: str | Path, *, may_be_input: bool = False):
    """A text handle whose contents replace `path` only when the block ends without an error
    (write_atomic's guarantees, for a report written piece by piece as it is made)."""
    name = str(path)
    target = Path(os.path.realpath(path))  # through symbolic links: the link stays a link
    if target.is_dir():
        raise _problem(T(zh="这是一个文件夹,不能写成报告", en="this is a folder; a report cannot be written over it"), name)
    try:
        st = target.stat()
    except OSError:
        st = None
    if st is not None and not may_be_input:
        source = _INPUTS.get((st.st_dev, st.st_ino))
        if source is not None:
            raise _problem(T(zh=f"不会覆盖这次运行读取的输入文件({source});请换一个输出文件",
                             en=f"refusing to write over an input of this run ({source}); choose another output file"),
                           name)
    folder = target.parent
    try:
        with _cleanup_on_sigterm():
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
            try:
                # mkstemp makes the file private (0600); a report is meant to be shared, so give it the
                # permissions a plain open() would (0666 less the umask), or keep those of the file it replaces.
                mode = st.st_mode & 0o777 if st is not None else 0o666 & ~_umask()
                os.chmod(tmp, mode)
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                    yield handle
                    handle.flush()
                    os.fsync(handle.fileno())
                if st is not None and not may_be_input:
                    # A report written while it is made: its inputs were opened after this file was,
                    # so look again before the report takes the target's place.
                    source = _INPUTS.get((st.st_dev, st.st_ino))
                    if source is not None:
                        raise _problem(T(zh=f"不会覆盖这次运行读取的输入文件({source});请换一个输出文件",
                                         en=f"refusing to write over an input of this run ({source}); "
                                            f"choose another output file"), name)
                os.replace(tmp, target)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
    except OSError as exc:
        raise _os_error(exc, name) from None


class Discard(Exception):
    """Raised inside open_output(): write nothing after all (the temporary file is removed;
    standard output gets nothing more)."""


class _Stdout:
    """Standard output, written in blocks (a flush per video would cost a system call each).
    Like emit(), it ends what it was given with a newline."""

    BLOCK = 1 << 16

    def __init__(self):
        self._parts: list[str] = []
        self._size = 0
        self._last = "\n"

    def end(self) -> None:
        if not self._last.endswith("\n"):
            self.write("\n")
        self.flush()

    def write(self, text: str) -> None:
        if not text:
            return
        self._last = text[-1]
        self._parts.append(text)
        self._size += len(text)
        if self._size >= self.BLOCK:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            text = "".join(self._parts)
            self._parts, self._size = [], 0
            write_stdout(text)


@contextmanager
def open_output(output: str | Path | None):
    """Something to write() a report to piece by piece: `output` (atomically, see open_atomic),
    or standard output when no file (or '-') is given."""
    try:
        if output and str(output) != "-":
            with open_atomic(output) as handle:
                yield handle
        else:
            out = _Stdout()
            yield out
            out.end()
    except Discard:
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _silence_stdout() -> None:
    """Point standard output at the null device, so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
    try:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")
    except OSError:
        pass


def write_stdout(text: str) -> None:
    """`text` on standard output, flushed; a closed or full output is an AdvisorError."""
    stream = sys.stdout
    if stream is None:
        raise _problem(T(zh="标准输出已关闭", en="standard output is closed"), STDOUT_NAME)
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as exc:  # ValueError: the stream was closed
        _silence_stdout()
        if isinstance(exc, OSError):
            raise _os_error(exc, STDOUT_NAME) from None
        raise _problem(T(zh="标准输出已关闭", en="standard output is closed"), STDOUT_NAME) from None


def emit(text: str, output: str | Path | None) -> None:
    """Write to `output` atomically, or to standard output when no file (or '-') is given."""
    if output and str(output) != "-":
        write_atomic(output, text)
    else:
        write_stdout(text if text.endswith("\n") else text + "\n")
