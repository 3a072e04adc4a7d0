"""The web app's store: accounts, their imports (dated snapshots of each video's numbers) and their
rule layers, through SQLAlchemy Core, in an embedded SQLite file or a shared PostgreSQL database.

Migrations are a short ordered list of steps (MIGRATIONS) recorded in a `schema_version` table:
at start-up the store applies the steps it has not seen, all in one transaction. A database written
by a newer advisor (a version above the last step), a file that is not a database, or a database
that is not advisor's is refused with a StoreError that says so in plain words.

Imports are one transaction each: the account row is locked first (SELECT ... FOR UPDATE on
PostgreSQL; on SQLite every write transaction starts with BEGIN IMMEDIATE), so two imports into one
account run one after the other and lose nothing, and a server killed mid-import leaves the store
as it was. A video is stored once per account (`videos`); each import adds a snapshot of its
numbers when they changed, and `videos.latest_id` points at the newest one, which reviews use.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint,
                        create_engine, event, func, insert, select, update)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError

from advisor.core.i18n import T
from advisor.model.metrics import VideoMetrics

SCHEMA_VERSION_TABLE = "schema_version"

metadata = MetaData()

schema_version = Table(SCHEMA_VERSION_TABLE, metadata, Column("version", Integer, nullable=False))

accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
)

imports = Table(
    "imports", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("imported_at", DateTime, nullable=False),
    Column("files", Text, nullable=False),  # JSON list of the uploaded files' names
    Column("rows", Integer, nullable=False),
    Column("stored", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
)

videos = Table(
    "videos", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("video_id", String(500), nullable=False),
    Column("latest_id", Integer, nullable=True),  # the newest snapshot (no FK: the two refer to each other)
    UniqueConstraint("account_id", "video_id", name="uq_videos_account_video"),
)

snapshots = Table(
    "snapshots", metadata,
    Column("id", Integer, primary_key=True),
    Column("video_pk", Integer, ForeignKey("videos.id"), nullable=False, index=True),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=False),
    Column("taken_at", DateTime, nullable=False),
    Column("data", Text, nullable=False),  # the VideoMetrics as JSON
)

rule_layers = Table(
    "rule_layers", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("saved_at", DateTime, nullable=False),
    Column("yaml", Text, nullable=False),  # the user rule file, as `--rules FOLDER` reads it
    Column("note", Text, nullable=False),
    Column("undone", Boolean, nullable=False, default=False),
)

# Page 5 (advisor.web.experiments): saved experiments (two arms of stored videos) and weekly goals.
experiments = Table(
    "experiments", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("saved_at", DateTime, nullable=False),
    Column("data", Text, nullable=False),  # JSON: {"name_a", "name_b", "a": [video ids], "b": [video ids]}
)

goal_sets = Table(
    "goal_sets", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("saved_at", DateTime, nullable=False),
    Column("data", Text, nullable=False),  # JSON: the GoalsFile (advisor.jobs.goals), newest row wins
)


def _v1(conn: Connection) -> None:
    for table in (accounts, imports, videos, snapshots):
        table.create(conn)


def _v2(conn: Connection) -> None:
    rule_layers.create(conn)


def _v3(conn: Connection) -> None:
    experiments.create(conn)
    goal_sets.create(conn)


# The ordered migration steps: step i brings the schema to version i + 1. Append, never edit.
MIGRATIONS = [_v1, _v2, _v3]
LATEST = len(MIGRATIONS)


class StoreError(Exception):
    """The store cannot be used: the message says why and what to do, in zh and en."""

    def __init__(self, message: T):
        super().__init__(message.en)
        self.message = message


def default_data_dir(environ: dict[str, str] | None = None) -> Path:
    """Where the store lives by default: the platform's user data folder, then advisor/."""
    env = os.environ if environ is None else environ
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "advisor"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "advisor"
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "advisor"


def database_url(db: str | None, environ: dict[str, str] | None = None) -> str:
    """A database URL from --db: a URL as it is, a path as a SQLite file, nothing as the default file."""
    if db and "://" in db:
        return db
    path = Path(db).expanduser() if db else default_data_dir(environ) / "advisor.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


@dataclass
class ImportOutcome:
    import_id: int
    rows: int
    new: int
    updated: int
    unchanged: int

    @property
    def stored(self) -> int:
        return self.new + self.updated + self.unchanged


@dataclass
class RuleLayer:
    id: int
    saved_at: dt.datetime
    yaml: str
    note: str


@dataclass
class Account:
    id: int
    name: str
    videos: int = 0
    imports: list[dict] = field(default_factory=list)


class Store:
    def __init__(self, url: str):
        self.url = url
        self.sqlite = url.startswith("sqlite")
        kwargs: dict = {}
        if self.sqlite:
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        try:
            self.engine: Engine = create_engine(url, **kwargs)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(T(zh=f"无法使用数据库地址 {safe_url(url)}:{exc}",
                               en=f"cannot use the database URL {safe_url(url)}: {exc}")) from None
        if self.sqlite:
            _sqlite_transactions(self.engine)
        self.revision = 0  # bumped on every write, so cached reviews know they are stale
        self.migrate()

    # --- schema -------------------------------------------------------------------------------

    def migrate(self) -> None:
        where = safe_url(self.url)
        try:
            with self.engine.begin() as conn:
                names = set(_table_names(conn))
                if SCHEMA_VERSION_TABLE not in names:
                    if names - {"sqlite_sequence"}:
                        raise StoreError(T(
                            zh=f"数据库 {where} 里已有别的表,不是 advisor 的存储;请换一个 --db",
                            en=f"the database {where} holds other tables and is not an advisor store; choose another --db"))
                    schema_version.create(conn)
                    conn.execute(insert(schema_version).values(version=0))
                version = conn.execute(select(schema_version.c.version)).scalar()
                if version is None:
                    raise StoreError(T(zh=f"数据库 {where} 的版本记录是空的", en=f"the database {where} has no version record"))
                if version > LATEST:
                    raise StoreError(T(
                        zh=f"数据库 {where} 是更新版本的 advisor 写的(存储版本 {version},本程序只认识到 {LATEST});"
                           f"请升级 advisor,或用 --db 换一个文件",
                        en=f"the database {where} was written by a newer advisor (store version {version}; this one "
                           f"knows up to {LATEST}); upgrade advisor or choose another --db"))
                for step in MIGRATIONS[version:]:
                    step(conn)
                if version < LATEST:
                    conn.execute(update(schema_version).values(version=LATEST))
        except StoreError:
            raise
        except (DatabaseError, OperationalError) as exc:
            detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise StoreError(T(
                zh=f"无法打开数据库 {where}:它已损坏、不是数据库文件,或无法访问({detail})。请换一个 --db,或从备份恢复",
                en=f"cannot open the database {where}: it is damaged, not a database, or out of reach ({detail}). "
                   f"Choose another --db or restore a backup")) from None

    def version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(schema_version.c.version)).scalar())

    # --- accounts -----------------------------------------------------------------------------

    def accounts(self) -> list[Account]:
        with self.engine.connect() as conn:
            counts = dict(conn.execute(select(videos.c.account_id, func.count()).group_by(videos.c.account_id)).all())
            return [Account(row.id, row.name, counts.get(row.id, 0))
                    for row in conn.execute(select(accounts).order_by(accounts.c.name))]

    def account(self, account_id: int) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
            if row is None:
                return None
            count = conn.execute(select(func.count()).select_from(videos).where(videos.c.account_id == account_id)).scalar()
            history = [dict(r._mapping) for r in conn.execute(
                select(imports).where(imports.c.account_id == account_id).order_by(imports.c.id.desc()).limit(20))]
            for h in history:
                h["files"] = json.loads(h["files"])
            return Account(row.id, row.name, int(count or 0), history)

    def ensure_account(self, name: str) -> int:
        name = name.strip()
        with self.engine.begin() as conn:
            row = conn.execute(select(accounts.c.id).where(accounts.c.name == name)).first()
            if row is not None:
                return int(row.id)
            self.revision += 1
            return int(conn.execute(insert(accounts).values(name=name, created_at=_now())).inserted_primary_key[0])

    # --- imports ------------------------------------------------------------------------------

    def store_import(self, account_id: int, items: list[VideoMetrics], *, files: list[str], rows: int,
                     rejected: int) -> ImportOutcome:
        """Store one import as one transaction: a snapshot per video whose numbers changed."""
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(select(accounts.c.id).where(accounts.c.id == account_id).with_for_update()).first()
            import_id = conn.execute(insert(imports).values(
                account_id=account_id, imported_at=now, files=json.dumps(files, ensure_ascii=False), rows=rows,
                stored=len(items), rejected=rejected)).inserted_primary_key[0]
            known = {r.video_id: (r.id, r.data) for r in conn.execute(
                select(videos.c.video_id, videos.c.id, snapshots.c.data)
                .select_from(videos.outerjoin(snapshots, snapshots.c.id == videos.c.latest_id))
                .where(videos.c.account_id == account_id))}
            new = updated = unchanged = 0
            fresh = [v for v in items if v.id not in known]
            if fresh:
                conn.execute(insert(videos), [{"account_id": account_id, "video_id": v.id} for v in fresh])
                for r in conn.execute(select(videos.c.video_id, videos.c.id)
                                      .where(videos.c.account_id == account_id, videos.c.latest_id.is_(None))):
                    known.setdefault(r.video_id, (r.id, None))
                    if known[r.video_id][1] is None:
                        known[r.video_id] = (r.id, None)
            pending = []
            for v in items:
                data = json.dumps(v.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
                pk, old = known[v.id]
                if old == data:
                    unchanged += 1
                    continue
                if old is None:
                    new += 1
                else:
                    updated += 1
                pending.append({"video_pk": pk, "import_id": import_id, "taken_at": now, "data": data})
            if pending:
                conn.execute(insert(snapshots), pending)
                # point each video at its newest snapshot
                newest = select(func.max(snapshots.c.id)).where(snapshots.c.video_pk == videos.c.id).scalar_subquery()
                conn.execute(update(videos).where(videos.c.account_id == account_id).values(latest_id=newest))
            self.revision += 1
            return ImportOutcome(int(import_id), rows, new, updated, unchanged)

    def videos(self, account_id: int) -> list[VideoMetrics]:
        """The account's videos, each as its latest snapshot, oldest publication first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(snapshots.c.data)
                                .select_from(videos.join(snapshots, snapshots.c.id == videos.c.latest_id))
                                .where(videos.c.account_id == account_id)
                                .order_by(videos.c.id)).scalars().all()
        out = [VideoMetrics.model_construct(**_revive(json.loads(r))) for r in rows]
        out.sort(key=lambda v: (v.published_at is None, v.published_at or dt.date.min))
        return out

    def snapshot_count(self, account_id: int) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(snapshots.join(videos, videos.c.id == snapshots.c.video_pk))
                                    .where(videos.c.account_id == account_id)).scalar() or 0)

    # --- rule layers --------------------------------------------------------------------------

    def rule_layer(self, account_id: int) -> RuleLayer | None:
        """The account's current rule layer (the newest save not undone), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(rule_layers).where(rule_layers.c.account_id == account_id,
                                                         rule_layers.c.undone.is_(False))
                               .order_by(rule_layers.c.id.desc()).limit(1)).first()
        return RuleLayer(row.id, row.saved_at, row.yaml, row.note) if row else None

    def save_rule_layer(self, account_id: int, text: str, note: str) -> int:
        with self.engine.begin() as conn:
            self.revision += 1
            return int(conn.execute(insert(rule_layers).values(account_id=account_id, saved_at=_now(), yaml=text,
                                                               note=note, undone=False)).inserted_primary_key[0])

    def undo_rule_layer(self, account_id: int) -> bool:
        """Undo the newest save: the layer before it (or none) is active again."""
        with self.engine.begin() as conn:
            row = conn.execute(select(rule_layers.c.id).where(rule_layers.c.account_id == account_id,
                                                              rule_layers.c.undone.is_(False))
                               .order_by(rule_layers.c.id.desc()).limit(1).with_for_update()).first()
            if row is None:
                return False
            conn.execute(update(rule_layers).where(rule_layers.c.id == row.id).values(undone=True))
            self.revision += 1
            return True

    def drop_everything(self) -> None:
        """Tests only: drop every table of the store (a PostgreSQL test database is reused between runs)."""
        with self.engine.begin() as conn:
            metadata.drop_all(conn)

    def close(self) -> None:
        self.engine.dispose()


def _revive(data: dict) -> dict:
    if data.get("published_at"):
        data["published_at"] = dt.date.fromisoformat(data["published_at"])
    return data


def _table_names(conn: Connection) -> list[str]:
    return conn.dialect.get_table_names(conn)


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url.replace("sqlite:///", "", 1)


def _sqlite_transactions(engine: Engine) -> None:
    """SQLite: let SQLAlchemy own the transactions, and take the write lock at BEGIN (BEGIN IMMEDIATE),
    so two concurrent imports queue on the lock instead of failing half-way (the SQLAlchemy recipe)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
