"""Turning a job's report into what people read: text, Markdown, JSON or HTML."""
