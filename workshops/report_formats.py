"""The report's file formats — JSON, CSV, XLSX, Markdown — each a rendering of the one export
structure (`workshops.report`), so all of them hold the same contributions."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from workshops.report import Data
from workshops.report_sections import Report

# Spreadsheets run a cell that starts like a formula (CWE-1236); a leading apostrophe makes it
# text in Excel, LibreOffice and Google Sheets alike.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
REPORT_STYLESHEETS = ("css/base.css", "css/report.css")
MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>|])")
MARKDOWN_LINE_START = re.compile(r"^(\s*)([#>+\-=]|\d+[.)])", re.MULTILINE)


def _json_default(value: Any) -> str:
    if isinstance(value, date | datetime):
        # Full precision: an import must put contributions back in exactly the same order.
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json(data: Data) -> str:
    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=2) + "\n"


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return date_format(value, "DATE_FORMAT")


def _post_columns() -> list[str]:
    return [
        _("ID"),
        _("Kind"),
        _("Text"),
        _("Author"),
        _("Obstacle"),
        _("Theme"),
        _("Prompt"),
        _("Votes"),
        _("Highlighted"),
        _("Taken forward by"),
        _("Claim status"),
        _("Latest follow-up"),
        _("Posted"),
    ]


def _post_rows(report: Report) -> list[list[Any]]:
    """One row per contribution; the time last, as a local datetime (each format writes it)."""
    prompts = {q["id"]: q["text"] for q in report.data["prompts"]}
    rows = []
    for c in report.contributions:
        latest = [cl["latest"]["text"] for cl in c["claims"] if cl["latest"]]
        rows.append(
            [
                c["id"],
                c["kind_label"],
                c["text"],
                c["author_name"] or "",
                c["obstacle_text"],
                c["theme_name"],
                prompts.get(c["prompt"] or "", ""),
                "" if c["votes"] is None else c["votes"],
                _("yes") if c["spotlight"] or c["pinned"] else "",
                "; ".join(c["taken_by"]),
                "; ".join(cl["status_label"] for cl in c["claims"]),
                "; ".join(latest),
                timezone.localtime(c["created_at"]),
            ]
        )
    return rows


# Swedish Excel (and most of Europe's) splits CSV on semicolons: the decimal comma is taken.
CSV_DELIMITERS = {"comma": ",", "semicolon": ";"}


def to_csv(report: Report, delimiter: str = ",") -> str:
    """All the report's contributions, one row each; UTF-8 with a BOM so that Excel reads
    å, ä and ö correctly; `delimiter=";"` for an Excel set to Swedish."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(_post_columns())
    for row in _post_rows(report):
        row[-1] = row[-1].isoformat(timespec="seconds")
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()


def _sheet(workbook: Any, title: str, header: list[str], rows: list[list[Any]]) -> None:
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(title[:31])  # Excel's limit for a sheet's name
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for values in rows:
        sheet.append([None] * len(values))
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=sheet.max_row, column=column)
            if isinstance(value, datetime):
                value = value.replace(tzinfo=None)  # local time; xlsx has no time zones
                cell.number_format = "yyyy-mm-dd hh:mm"
            cell.value = value
            if isinstance(value, str):
                # openpyxl would store "=…" as a formula: keep every typed text a text cell.
                cell.data_type = "s"
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width, 8), 60) + 2


def to_xlsx(report: Report) -> bytes:
    """report.xlsx: the contributions, the claims and the follow-ups, a sheet each. Text is
    stored as text, so what someone typed never runs as a formula."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, pgettext("spreadsheet", "Posts"), _post_columns(), _post_rows(report))
    claims, follow_ups = [], []
    for claim in report.claims:
        suggestion = claim["suggestion"]
        who = claim["receiver"]["line"] if claim["receiver"] else ""
        claims.append(
            [
                suggestion["id"],
                suggestion["text"],
                who,
                claim["status_label"],
                timezone.localtime(claim["created_at"]),
            ]
        )
        for f in claim["follow_ups"]:
            follow_ups.append(
                [
                    suggestion["id"],
                    suggestion["text"],
                    who,
                    f["status_label"],
                    f["text"],
                    f["link"],
                    timezone.localtime(f["created_at"]),
                ]
            )
    suggestion, by = _("Suggestion"), _("Taken forward by")
    _sheet(
        workbook,
        pgettext("spreadsheet", "Claims"),
        [_("ID"), suggestion, by, _("Status"), _("Claimed on")],
        claims,
    )
    _sheet(
        workbook,
        pgettext("spreadsheet", "Follow-ups"),
        [_("ID"), suggestion, by, _("Status"), _("Report"), _("Link"), _("Reported on")],
        follow_ups,
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def md(text: str | None) -> str:
    """Text someone typed, safe inside a Markdown line: no stray emphasis, links or HTML, and
    a line break that cannot start a heading or a list."""
    text = MARKDOWN_SPECIALS.sub(r"\\\1", (text or "").replace("\r", "").strip())
    text = MARKDOWN_LINE_START.sub(lambda m: m[1] + "\\" + m[2], text)
    return text.replace("\n", "  \n   ")


def _votes(report: Report, c: Data) -> str:
    if not report.votes_shown:
        return ""
    return ngettext("%(count)s vote", "%(count)s votes", c["votes"]) % {"count": c["votes"]}


def _suggestion_line(report: Report, c: Data) -> str:
    details = [d for d in (_votes(report, c),) if d]
    if c["taken_by"]:
        details.append(_("taken forward by %(who)s") % {"who": ", ".join(map(md, c["taken_by"]))})
    line = md(c["text"])
    if c["author_name"]:
        line += f" ({md(c['author_name'])})"
    return line + (" — " + " · ".join(details) if details else "")


def _item_line(c: Data) -> str:
    line = md(c["text"])
    return line + (f" ({md(c['author_name'])})" if c["author_name"] else "")


def to_markdown(report: Report) -> str:
    w = report.workshop
    lines: list[str] = [f"# {md(w['question'])}", ""]
    facts = [_("Workshop report"), *(md(v) for v in (w["event"], w["place"]) if v)]
    if w["date"]:
        facts.append(day(w["date"]))
    lines += [" · ".join(facts), ""]
    if report.status_note:
        lines += [f"*{md(report.status_note)}*", ""]
    if w["organiser"]:
        lines += [_("Organised by %(organiser)s.") % {"organiser": md(w["organiser"])}, ""]
    if w["description"]:
        lines += [md(w["description"]), ""]

    if report.challenges:
        lines += [f"## {_('Challenges and obstacles')}", ""]
        for ch in report.challenges:
            lines += [f"### {md(ch['title'])}", ""]
            if ch["challenger"]:
                who = md(ch["challenger"]["line"])
                lines += [_("Presented by %(challenger)s.") % {"challenger": who}, ""]
            if ch["description"]:
                lines += [md(ch["description"]), ""]
            lines += [f"{o['number']}. {md(o['text'])}" for o in ch["obstacles"]] + [""]
            for follow_up in ch["follow_ups"]:
                heading = f"**{_('What we did next')}** ({day(follow_up['created_at'])})"
                lines += [f"{heading}: {md(follow_up['text'])}"]
                lines += [f"<{follow_up['link']}>" if follow_up["link"] else "", ""]

    if report.receivers:
        lines += [f"## {_('Receivers')}", ""]
        lines += [f"- {md(p['line'])}" for p in report.receivers] + [""]

    if report.prompts or report.highlights:
        lines += [f"## {_('From the discussion')}", ""]
        for q in report.prompts:
            lines += [f"> {md(q['text'])}", ""]
            lines += [f"- {_item_line(c)}" for c in q["contributions"]]
            lines += [""] if q["contributions"] else []
        if report.highlights:
            lines += [f"### {_('Highlighted by the labbers')}", ""]
            lines += [f"- {_item_line(c)}" for c in report.highlights] + [""]

    lines += [f"## {_('Insights and suggestions')}", ""]
    lines += [report.counts_sentence, ""]
    for group in report.groups:
        lines += [f"### {md(group['title'])}", ""]
        if group["insights"]:
            lines += [f"#### {_('Insights')}", ""]
            lines += [f"- {_item_line(c)}" for c in group["insights"]] + [""]
        if group["suggestions"]:
            lines += [f"#### {_('Suggestions')}", ""]
            lines += [f"- {_suggestion_line(report, c)}" for c in group["suggestions"]] + [""]

    lines += [f"## {_('Who takes what forward')}", ""]
    if report.claims:
        head = [_("Suggestion"), _("Taken forward by"), _("Status"), _("Latest news")]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for claim in report.claims:
            latest = claim["latest"]
            news = f"{md(latest['text'])} ({day(latest['created_at'])})" if latest else ""
            story = " → ".join(
                f"{step['status_label']} ({day(step['created_at'])})" for step in claim["timeline"]
            )
            receiver = md(claim["receiver"]["line"])
            cells = [md(claim["suggestion"]["text"]), receiver, story, news]
            lines.append("| " + " | ".join(cell.replace("\n", " ") for cell in cells) + " |")
        lines.append("")
    else:
        lines += [_("No receiver has taken a suggestion forward yet."), ""]

    lines += [f"## {_('Thanks')}", ""]
    if w["closing_words"]:
        lines += [md(w["closing_words"]), ""]
    lines += [md(s) for s in report.thanks]
    lines += ["", "---", "", md(report.footer), ""]
    return "\n".join(lines)


class PdfUnavailable(RuntimeError):
    """WeasyPrint, or the Pango library it loads, is not installed on this server."""


def pdf_available() -> bool:
    return importlib.util.find_spec("weasyprint") is not None


def to_pdf(html: str) -> bytes:
    """The report page as an A4 PDF. The stylesheets are handed over as text and nothing is
    fetched: a report is made of what people typed, and must not make the server load URLs."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint is there, Pango is not
        raise PdfUnavailable(str(exc)) from exc
    sheets = []
    for name in REPORT_STYLESHEETS:
        path = finders.find(name)
        sheets.append(weasyprint.CSS(string=Path(path).read_text(encoding="utf-8")))
    no_fetching = weasyprint.URLFetcher(allowed_protocols=())
    return weasyprint.HTML(string=html, url_fetcher=no_fetching).write_pdf(stylesheets=sheets)
