"""Starting the web app: open the store, build the app, run uvicorn (a thread for tests)."""

from __future__ import annotations

import socket
import threading
import time

import click
import uvicorn

from advisor.core.errors import AdvisorError
from advisor.core.i18n import detect_lang
from advisor.input.config import load_config
from advisor.web.app import create_app
from advisor.web.store import Store, StoreError, database_url, safe_url


def open_store(db: str | None, config_path: str | None = None):
    """(store, config): --db, else the config's `database`, else the default SQLite file."""
    config = load_config(config_path)
    return Store(database_url(db or config.database_target())), config


class StartError(click.ClickException):
    """The store or the config cannot be used: the message, and exit status 2 (nothing done)."""

    exit_code = 2


def run(*, host: str, port: int, token: str | None, db: str | None, config_path: str | None) -> None:
    lang = detect_lang()
    try:
        store, config = open_store(db, config_path)
    except StoreError as exc:
        raise StartError(exc.message.get(lang)) from None
    except AdvisorError as exc:
        raise StartError("\n".join(p.format(lang) for p in exc.problems)) from None
    app = create_app(store, config, token=token)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"advisor: http://{shown}:{port}/  (store: {safe_url(store.url)})")
    click.echo("Ctrl+C to stop / 按 Ctrl+C 停止")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """The app served by uvicorn in a thread on a free loopback port (tests, screenshots, benchmarks)."""

    def __init__(self, app, port: int | None = None):
        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the web server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)
