"""The `advisor serve` command. It imports only click here; the web stack (Starlette, uvicorn,
SQLAlchemy) loads when the command runs, so `advisor --help` and the other commands start as fast
as before (advisor/__main__.py adds this command beside the CLI's)."""

from __future__ import annotations

import ipaddress
import os

import click

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port to listen on. 端口。")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --token or ADVISOR_TOKEN. 监听地址;非本机地址必须设置口令。")
@click.option("--token", default=None, help="Password every browser must give (HTTP Basic; default $ADVISOR_TOKEN). 访问口令。")
@click.option("--db", "db", default=None, metavar="PATH|URL",
              help="The store: a SQLite file, or a database URL (postgresql://...). Default: `database` in "
                   "advisor.yaml, else advisor.sqlite3 in the user data folder. 数据库文件或地址。")
@click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False),
              help="The project config (default ./advisor.yaml). 项目配置文件。")
def serve_command(port: int, host: str, token: str | None, db: str | None, config_path: str | None):
    """Start the web app on this computer (http://127.0.0.1:8765): import, review, checklist, rules.

    在本机启动网页版:导入、复盘、发布前检查、规则。没有账号,没有云端。
    """
    token = token or os.environ.get("ADVISOR_TOKEN") or None
    if not is_loopback(host) and not token:
        raise click.UsageError(f"--host {host} is reachable from other machines: set a token with --token or "
                               f"ADVISOR_TOKEN / 非本机地址必须用 --token 或 ADVISOR_TOKEN 设置口令")
    from advisor.web.server import run  # the web stack loads only here (tests/test_layers.py allows it)

    run(host=host, port=port, token=token, db=db, config_path=config_path)
