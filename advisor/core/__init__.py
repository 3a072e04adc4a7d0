"""The foundation every layer may use: bilingual text (i18n), located errors, where shipped
files live, the sandboxed Jinja2 environment (templating) and atomic file output."""
