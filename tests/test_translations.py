"""The UI is complete in Swedish: every string in the templates and the code has a Swedish
translation, the committed .mo is compiled from the current .po, and a Swedish browser gets a
Swedish page.

The catalogue check runs `makemessages` on a copy of the source, so the working tree (and its
locale/) is never touched: a string someone added without translating it fails here, by name."""

from __future__ import annotations

import gettext as gettext_module
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale" / "sv" / "LC_MESSAGES"
# What makemessages should see: the apps, the templates and the entry point. (static/ only for
# the JavaScript catalogue; tests/, bench/, var/ and .venv/ stay out.)
SOURCE = [
    "labbet",
    "workshops",
    "challenges",
    "insights",
    "live",
    "templates",
    "static",
    "manage.py",
]
GETTEXT_TOOLS = ["xgettext", "msgmerge", "msguniq", "msgfmt"]


def require_gettext() -> None:
    if not all(shutil.which(tool) for tool in GETTEXT_TOOLS):
        require_or_skip("gettext is not installed (apt-get install gettext)")


def _unquote(line: str) -> str:
    body = line.strip()
    body = body[body.index('"') + 1 : body.rindex('"')]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), body)


def po_entries(text: str) -> list[dict]:
    """The .po's entries, simply: msgid (with msgid_plural), the msgstr values, and the flags.
    Obsolete (#~) entries are left out."""
    entries = []
    for block in re.split(r"\n[ \t]*\n", text):
        entry: dict = {"msgid": None, "plural": None, "msgstr": [], "flags": set(), "where": []}
        current = None
        for line in block.splitlines():
            if line.startswith("#~"):
                break
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#:"):
                entry["where"] += line[2:].split()
            elif line.startswith("#"):
                continue
            elif line.startswith("msgid_plural"):
                entry["plural"] = _unquote(line)
                current = "plural"
            elif line.startswith("msgid"):
                entry["msgid"] = _unquote(line)
                current = "msgid"
            elif line.startswith("msgstr"):
                entry["msgstr"].append(_unquote(line))
                current = "msgstr"
            elif line.startswith("msgctxt"):
                current = None
            elif line.startswith('"') and current == "msgstr":
                entry["msgstr"][-1] += _unquote(line)
            elif line.startswith('"') and current in ("msgid", "plural"):
                entry[current] += _unquote(line)
        if entry["msgid"] is not None:
            entries.append(entry)
    return entries


def problems(po_file: Path) -> tuple[str, list[str], list[str]]:
    """msgfmt's statistics, and the untranslated and fuzzy msgids (the header excluded)."""
    result = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", os.devnull, str(po_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"msgfmt rejects {po_file.name}:\n{result.stderr}"
    statistics = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    untranslated, fuzzy = [], []
    for entry in po_entries(po_file.read_text(encoding="utf-8")):
        if entry["msgid"] == "":
            continue
        label = f"{entry['msgid']!r}  ({' '.join(entry['where'][:3])})"
        if not entry["msgstr"] or any(value == "" for value in entry["msgstr"]):
            untranslated.append(label)
        elif "fuzzy" in entry["flags"]:
            fuzzy.append(label)
    return statistics, untranslated, fuzzy


def count(statistics: str, word: str) -> int:
    found = re.search(rf"(\d+) {word}", statistics)
    return int(found[1]) if found else 0


@pytest.fixture(scope="module")
def fresh_catalogues() -> Iterator[dict[str, Path]]:
    """makemessages run on a copy of the current source, against a copy of the current locale/.
    Returns the regenerated catalogues by domain."""
    require_gettext()
    with tempfile.TemporaryDirectory(prefix="labbet-i18n-") as tmp:
        project, var = Path(tmp) / "project", Path(tmp) / "var"
        project.mkdir()
        var.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for name in SOURCE:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, project / name, ignore=ignore)
            elif source.exists():
                shutil.copy2(source, project / name)
        shutil.copytree(ROOT / "locale", project / "locale", ignore=ignore)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "labbet.settings_test",
            "PYTHONPATH": str(project),
            "LABBET_VAR_DIR": str(var),
        }
        for domain in ("django", "djangojs"):
            command = ["manage.py", "makemessages", "-d", domain, "-l", "sv", "--no-obsolete"]
            result = subprocess.run(
                [sys.executable, *command],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, f"makemessages -d {domain} failed:\n{result.stderr}"
        catalogues = {}
        for domain in ("django", "djangojs"):
            po_file = project / "locale" / "sv" / "LC_MESSAGES" / f"{domain}.po"
            if po_file.exists():
                kept = Path(tmp) / f"{domain}.po"
                shutil.copy2(po_file, kept)
                catalogues[domain] = kept
        yield catalogues


@pytest.mark.slow
def test_every_string_in_templates_and_code_has_a_swedish_translation(fresh_catalogues):
    assert "django" in fresh_catalogues, "makemessages found no strings at all"
    report = []
    for domain, po_file in fresh_catalogues.items():
        statistics, untranslated, fuzzy = problems(po_file)
        print(f"{domain}.po: {statistics}")
        if count(statistics, "untranslated") and not untranslated:
            report.append(f"{domain}.po: msgfmt counts untranslated entries: {statistics}")
        if count(statistics, "fuzzy") and not fuzzy:
            report.append(f"{domain}.po: msgfmt counts fuzzy entries: {statistics}")
        if untranslated:
            report.append(f"{domain}.po: {len(untranslated)} untranslated:")
            report += [f"  {label}" for label in untranslated]
        if fuzzy:
            report.append(f"{domain}.po: {len(fuzzy)} fuzzy (check, then remove the flag):")
            report += [f"  {label}" for label in fuzzy]
    if report:
        print("\n".join(report))
    assert not report, (
        "Strings without a Swedish translation. Run `manage.py makemessages -l sv --no-obsolete "
        "--ignore=.venv --ignore=var --ignore=bench --ignore=tests`, translate them in "
        "locale/sv/LC_MESSAGES/django.po, then `manage.py compilemessages --ignore=.venv`.\n"
        + "\n".join(report)
    )


@pytest.mark.slow
def test_the_jinja2_partials_strings_are_in_the_catalogue_with_their_swedish(fresh_catalogues):
    """A card's strings live in the apps' jinja2/ folders (labbet/jinja.py): makemessages
    reads them there, the plural as a plural, each with its Swedish."""
    entries = {e["msgid"]: e for e in po_entries(fresh_catalogues["django"].read_text())}
    for msgid in ("waiting for a labber", "Merge selected into this", "Taken forward by"):
        assert msgid in entries and entries[msgid]["msgstr"] != [""], msgid
    assert entries["dot"]["plural"] == "dots"
    assert entries["%(n)s merged into it"]["plural"] == "%(n)s merged into it"


@pytest.mark.slow
def test_the_committed_mo_is_compiled_from_the_current_po(tmp_path):
    require_gettext()
    po_file, mo_file = LOCALE / "django.po", LOCALE / "django.mo"
    assert mo_file.exists(), "locale/sv/LC_MESSAGES/django.mo is missing: run compilemessages"
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(po_file)], check=True)
    with mo_file.open("rb") as committed, fresh.open("rb") as compiled:
        committed_catalog = gettext_module.GNUTranslations(committed)._catalog
        compiled_catalog = gettext_module.GNUTranslations(compiled)._catalog
    missing_or_extra = committed_catalog.keys() ^ compiled_catalog.keys()
    changed = {
        key
        for key in committed_catalog.keys() & compiled_catalog.keys()
        if committed_catalog[key] != compiled_catalog[key]
    }
    stale = sorted(str(key) for key in missing_or_extra | changed)
    assert not stale, "django.mo is older than django.po: run compilemessages. Differs in:\n" + (
        "\n".join(stale[:20])
    )


@pytest.mark.django_db
def test_a_swedish_browser_gets_the_start_page_in_swedish(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="sv")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Gå med i workshopen" in page
    assert "Join the workshop" not in page
    assert '<html lang="sv"' in page


@pytest.mark.django_db
def test_an_english_browser_gets_the_start_page_in_english(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Join the workshop" in page
    assert "Gå med i workshopen" not in page
    assert '<html lang="en"' in page
