"""The `advisor` program: the CLI's commands and `advisor serve`, the web app.

advisor.cli and advisor.web sit side by side on the top layer and never import each other;
this module (outside the layers) puts their commands in one group. `serve` is registered like
the CLI's commands (advisor/cli/main.py): by name, imported only when it runs. `python -m
advisor` works too.
"""

from advisor.cli.main import LazyCommand, cli

cli.add_lazy_command("serve", LazyCommand(
    "advisor.web.command:serve_command",
    "Start the web app on this computer (http://127.0.0.1:8765): import, review, checklist, rules."))


def main() -> None:
    cli(prog_name="advisor")


if __name__ == "__main__":
    main()
