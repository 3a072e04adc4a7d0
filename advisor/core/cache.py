"""A small cache on disk, in the user cache folder, for results that take long to compute and
depend only on their key: what a rule text's Jinja2 source uses (advisor.model.semantics), the
loaded and checked rule set (advisor.input.ruleset).

It only ever saves time. A missing, unreadable or damaged cache file is treated as empty, a
folder that cannot be written is skipped, and a value found there is what computing it again
would give (the key is a hash of everything the value depends on). `ADVISOR_CACHE_DIR` moves the
folder; set to an empty value, it turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

MAX_ENTRIES = 20_000  # a few MB at most; past it the file keeps only what the last run used
STALE_AFTER_S = 30 * 24 * 3600  # a cache file of another stamp unwritten this long is removed


def cache_dir(environ: dict[str, str] | None = None) -> Path | None:
    """The platform's user cache folder, then advisor/; None when ADVISOR_CACHE_DIR is empty."""
    env = os.environ if environ is None else environ
    if "ADVISOR_CACHE_DIR" in env:
        return Path(env["ADVISOR_CACHE_DIR"]).expanduser() if env["ADVISOR_CACHE_DIR"] else None
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "advisor" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "advisor"
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "advisor"


def fingerprint(*parts: str | bytes) -> str:
    """A short hash of `parts` (for keys and for the version stamp of a cache file)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def stamped(name: str, stamp: str, suffix: str = "") -> Path | None:
    """`<cache dir>/<name>-<stamp><suffix>` (None when the cache is off). Entries of the same
    name with another stamp that nobody has written to for STALE_AFTER_S are removed: they may
    belong to another installed version still in use, so not at once."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"{name}-{stamp}{suffix}"
    try:
        for old in folder.glob(f"{name}-*{suffix}"):
            if old == path or time.time() - old.stat().st_mtime <= STALE_AFTER_S:
                continue
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
    except OSError:
        pass  # pruning is housekeeping; a folder we cannot list or clean costs only disk space
    return path


class JsonCache:
    """A dict of JSON values kept in `<cache dir>/<name>-<stamp>.json`.

    `stamp` names what the values were computed with (a code or library version): a different
    stamp is a different file (see `stamped`). Read on first use, written by `save()` only when
    something was added; several processes may share the file (each write replaces it whole, so
    a reader sees one complete version).
    """

    def __init__(self, name: str, stamp: str):
        self.name = name
        self.stamp = stamp
        self._lock = threading.Lock()
        self._data: dict | None = None
        self._used: set[str] = set()
        self._dirty = False

    def _path(self) -> Path | None:
        return stamped(self.name, self.stamp, ".json")

    def _load(self) -> dict:
        if self._data is None:
            self._data = {}
            path = self._path()
            try:
                data = json.loads(path.read_text(encoding="utf-8")) if path is not None else {}
            except (OSError, ValueError):
                data = {}
            if isinstance(data, dict):
                self._data = data
        return self._data

    def get(self, key: str):
        with self._lock:
            value = self._load().get(key)
            if value is not None:
                self._used.add(key)
            return value

    def put(self, key: str, value) -> None:
        with self._lock:
            data = self._load()
            self._used.add(key)
            if data.get(key) != value:
                data[key] = value
                self._dirty = True

    def save(self) -> None:
        with self._lock:
            path = self._path()
            if not self._dirty or path is None or self._data is None:
                return
            data = self._data
            if len(data) > MAX_ENTRIES:
                data = {k: v for k, v in data.items() if k in self._used}
            try:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{self.name}-", suffix=".tmp", dir=path.parent)
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as handle:
                        json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
                    os.replace(tmp, path)
                except BaseException:
                    os.unlink(tmp)
                    raise
            except OSError:
                return  # a read-only or full disk: the next run computes again
            self._data = data
            self._dirty = False


def code_stamp(*extra: str) -> str:
    """A fingerprint of the installed advisor's files (name, size, modification time of every
    source and data file of the package, shipped rules included when they live in it) and of
    `extra` (library versions): what a cached object built by advisor's code depends on. An
    edited source file, a reinstall or an upgrade gives another stamp."""
    package = Path(__file__).resolve().parent.parent
    entries: list[str] = [sys.version, *extra]
    stack = [package]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                for entry in sorted(listing, key=lambda e: e.name):
                    if entry.name == "__pycache__" or entry.name.startswith("."):
                        continue
                    if entry.is_dir():
                        stack.append(Path(entry.path))
                    elif entry.name.endswith((".py", ".yaml", ".yml", ".json", ".j2")):
                        st = entry.stat()
                        entries.append(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}")
        except OSError:
            entries.append(f"{folder}\0unreadable")
    return fingerprint(*entries)


class PickleSlot:
    """One pickled object in `<cache dir>/<name>-<stamp>.pickle`, valid for one `key`.

    `load(key)` gives the object saved with that exact key, else None (no file, another key, a
    damaged or unreadable file); `save(key, value)` replaces the file whole (a reader sees one
    complete version). For an object that is slow to build and whose every input the key
    hashes. The folder is the user's own (created 0700), like Jinja2's bytecode cache beside it.
    """

    def __init__(self, name: str, stamp: str):
        self.name = name
        self.stamp = stamp

    def _path(self) -> Path | None:
        return stamped(self.name, self.stamp, ".pickle")

    def load(self, key: str):
        path = self._path()
        if path is None:
            return None
        try:
            stored_key, value = pickle.loads(path.read_bytes())
        except Exception:  # missing, unreadable, damaged, or pickled by code that changed: rebuild
            return None
        return value if stored_key == key else None

    def save(self, key: str, value) -> None:
        path = self._path()
        if path is None:
            return
        try:
            data = pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an object that cannot be pickled is simply not cached
            return
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.name}-", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            return
