"""`advisor schema NAME`: the JSON Schema of a kind of file, for editors and other tools."""

from __future__ import annotations

from pathlib import Path

import click

from advisor.cli.common import guarded, settings
from advisor.cli.options import config_option, output_option, rules_option
from advisor.core.i18n import T
from advisor.core.output import emit
from advisor.jobs.schemas import SCHEMA_NAMES, schema_text, write_schemas


@click.command("schema")
@click.argument("name", type=click.Choice([*SCHEMA_NAMES, "all"]))
@rules_option
@config_option
@output_option
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=str), default=None,
              help="With `all`: write every schema as NAME.schema.json into this folder. 输出文件夹。")
@guarded
def schema_command(name, rules_dirs, config_path, output, output_dir):
    """Print the JSON Schema of rule, levels, profile, plan, metrics, config or test files.

    输出 JSON Schema,供 VS Code 等编辑器自动补全和标出错误。

    Level names in the rules schema come from the levels in use (shipped + --rules).

    \b
    Examples:
      advisor schema rules
      advisor schema rules --rules examples/my-rules --output examples/my-rules/rules.schema.json
      advisor schema all --output-dir rules/schemas
    """
    st = settings(config_path=config_path, rules_dirs=rules_dirs)
    ruleset = st.ruleset()
    if name == "all":
        if not output_dir:
            raise click.UsageError(T(zh="`all` 需要 --output-dir", en="`all` needs --output-dir").get(st.lang))
        for path in write_schemas(Path(output_dir), ruleset):
            click.echo(str(path))
        return
    emit(schema_text(name, ruleset), output)
