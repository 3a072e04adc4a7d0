"""advisor: a rules-based content strategy advisor for WeChat Channels (视频号) creators.

Data flows one way: load (importers, rule files) -> validate (pydantic models) ->
evaluate (durable_rules or the reference evaluator) -> explain (findings) -> render
(sandboxed Jinja2 templates). The CLI in advisor.cli is a thin shell over these modules.
"""

__version__ = "0.1.0"
