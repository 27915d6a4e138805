"""makemessages with a catalogue that merges well (entries sorted by msgid, no source
locations), and that reads the Jinja2 partials (the apps' jinja2/ folders, labbet/jinja.py)
with Jinja2's own extractor.

Several branches that each add strings then touch different lines of django.po, and a template
that moves lines does not rewrite every entry's `#:` comment.

Django reads every .html file as its own template language; a Jinja2 partial is handed to
xgettext as the gettext calls Jinja2 finds in it (jinja2.ext.extract_from_ast), one per line
where it stands, so its strings are in the catalogue like any other."""

from __future__ import annotations

from pathlib import Path

from django.core.management.commands import makemessages
from django.template import engines
from jinja2.ext import extract_from_ast


def python_stand_in(source: str) -> str:
    """The gettext calls of a Jinja2 template as Python that xgettext reads, each on its line."""
    env = engines["jinja2"].env
    lines = [""] * (source.count("\n") + 1)
    for lineno, function, message in extract_from_ast(env.parse(source)):
        # A plural comes as (singular, plural, None): its count is no constant.
        strings = [part for part in (message if isinstance(message, tuple) else (message,)) if part]
        if function not in ("_", "gettext", "ngettext") or not strings:
            continue
        if function == "ngettext":
            call = f"ngettext({strings[0]!r}, {strings[1]!r}, 1)"
        else:
            call = f"gettext({strings[0]!r})"
        lines[lineno - 1] += f" {call};"
    return "\n".join(lines)


class BuildFile(makemessages.BuildFile):
    def preprocess(self) -> None:
        # An app's jinja2/ folder holds Jinja2 templates (Django's Jinja2 backend, APP_DIRS).
        if not self.is_templatized or "jinja2" not in Path(self.path).parts[:-1]:
            return super().preprocess()
        with open(self.work_path, "w", encoding="utf-8") as out:
            out.write(python_stand_in(Path(self.path).read_text(encoding="utf-8")))


class Command(makemessages.Command):
    build_file_class = BuildFile
    xgettext_options = [*makemessages.Command.xgettext_options, "--sort-output"]
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--sort-output"]
    msguniq_options = [*makemessages.Command.msguniq_options, "--sort-output"]
    msgattrib_options = [*makemessages.Command.msgattrib_options, "--sort-output"]

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(no_location=True)
