"""The matrix as one self-contained HTML page: inline CSS, no script, no network, relative links only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from html import escape
from itertools import groupby
from urllib.parse import quote

from shareflow.links import AnyDoor, Door
from shareflow.matrix.model import CELL_OUTCOMES, ERROR, Cell, Matrix, run_name, stamp
from shareflow.matrix.thumbs import WIDTH

CARRIER_TITLES = {"wechat": "WeChat", "qq": "QQ"}
SCENE_TITLES = {"p2p": "1:1 chat (p2p)", "group": "group chat"}
CASHIER_TITLES = {"taobao": "Taobao", "tmall": "Tmall", "hema": "Hema"}
METHOD_TITLES = {"alipay": "Alipay", "wechat_pay": "WeChat Pay"}
MEANINGS = {
    "direct": "the item page opened",
    "interstitial": "a warning page first (继续访问)",
    "blocked": "the page was blocked (已停止访问)",
    "copy_to_browser": "copy the link to a browser",
    "offered": "the cashier listed the payment method",
    "not_offered": "the cashier did not list it",
    ERROR: "the test failed before an outcome was seen; the note says why (unrecognised screen, device setup, "
    "infrastructure, ...): not an outcome of the product",
}
# background, ink
COLOURS = {
    "direct": ("#d9f2d9", "#1b6e1b"),
    "interstitial": ("#fff0c2", "#7a5600"),
    "blocked": ("#f8cfcf", "#9b1414"),
    "copy_to_browser": ("#d6e4ff", "#1f4aa0"),
    "offered": ("#d9f2d9", "#1b6e1b"),
    "not_offered": ("#ececec", "#444444"),
    ERROR: ("#e5dbf3", "#55308a"),
}
BASE_CSS = """
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 24px 0 8px; }
.meta { color: #555; margin: 0 0 16px; }
.legend { display: flex; flex-wrap: wrap; gap: 8px 18px; margin: 0 0 16px; padding: 0; list-style: none; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 18px; height: 18px; border-radius: 3px; border: 1px solid #0003; }
table.matrix { border-collapse: separate; border-spacing: 4px; }
table.matrix th { font-weight: 600; padding: 4px 8px; background: #f0f0f0; border-radius: 3px; }
table.matrix th.phone { text-align: left; white-space: nowrap; }
th.phone small { display: block; font-weight: 400; color: #555; }
td.cell { vertical-align: top; text-align: center; padding: 6px; border-radius: 4px; width: WIDTHpx;
  max-width: WIDTHpx; border: 3px solid transparent; overflow-wrap: anywhere; }
td.cell img { display: block; width: WIDTHpx; height: auto; margin: 0 auto 4px; border: 1px solid #0003; }
td.cell .outcome { font-weight: 700; }
td.cell .note { font-size: 12px; margin-top: 2px; word-break: break-word; }
td.none { background: #f6f6f6; color: #888; border: 3px dashed #ddd; }
td.mismatch .expected { color: #b00000; font-weight: 700; }
td.changed { border-color: #e07000; box-shadow: 0 0 0 2px #ffd7a8; }
td.changed .was { color: #a04f00; font-weight: 700; }
.marker { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; }
.marker.mismatch { color: #b00000; border: 1px solid #b00000; font-weight: 700; }
.marker.changed { color: #a04f00; border: 3px solid #e07000; font-weight: 700; }
ul.list li { margin: 3px 0; }
.quiet { color: #555; }
"""
CSS = BASE_CSS.replace("WIDTH", str(WIDTH)) + "".join(
    f"td.o-{name} {{ background: {bg}; }} td.o-{name} .outcome {{ color: {ink}; }}\n"
    for name, (bg, ink) in COLOURS.items()
)


def _href(path: str) -> str:
    return escape(quote(path), quote=True)


def _link(path: str | None) -> str:
    """`` — evidence`` linking ``path``, or nothing."""
    return f' — <a href="{_href(path)}">evidence</a>' if path else ""


def _legend() -> str:
    items = [
        f'<li><span class="swatch" style="background:{COLOURS[name][0]}"></span>'
        f"<b>{name}</b> <span class='quiet'>{escape(MEANINGS[name])}</span></li>"
        for name in CELL_OUTCOMES
    ]
    items.append('<li><span class="swatch" style="background:#f6f6f6"></span><b>not run</b></li>')
    items.append('<li><span class="marker mismatch">≠ expected</span> not what expectations.yaml says</li>')
    items.append('<li><span class="marker changed">changed</span> differs from the last run that saw it</li>')
    return '<ul class="legend">' + "".join(items) + "</ul>"


def _cell(cell: Cell) -> str:
    if cell.outcome is None:
        note = f'<div class="note">{escape(cell.message)}</div>' if cell.message else ""
        return f'<td class="cell none" title="{escape(cell.test or "", quote=True)}">not run{note}</td>'
    classes = ["cell", f"o-{cell.outcome}"]
    parts = []
    link = cell.screenshot or cell.evidence
    if cell.thumbnail:
        alt = escape(f"{cell.where}: {cell.outcome}", quote=True)
        image = f'<img src="{_href(cell.thumbnail)}" width="{WIDTH}" alt="{alt}">'
        parts.append(f'<a href="{_href(link)}">{image}</a>' if link else image)
    parts.append(f'<div class="outcome">{escape(cell.outcome).replace("_", "_<wbr>")}</div>')
    if cell.outcome == ERROR:
        parts.append(f'<div class="note">{escape(cell.message.split(":", 1)[0])}</div>')
    if cell.matches is False and cell.expected:
        classes.append("mismatch")
        parts.append(f'<div class="note expected">≠ expected {escape(cell.expected)}</div>')
    if cell.change is not None:
        classes.append("changed")
        when = cell.change.previous_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        parts.append(f'<div class="note was">was {escape(cell.change.previous)}<br><small>{when}</small></div>')
    if cell.evidence and (cell.evidence != link or not cell.thumbnail):  # the folder, or no picture to click
        parts.append(f'<div class="note"><a href="{_href(cell.evidence)}">evidence</a></div>')
    tip = escape(" — ".join(filter(None, [cell.test, cell.message])), quote=True)
    return f'<td class="{" ".join(classes)}" title="{tip}">' + "".join(parts) + "</td>"


def _spans(columns: Sequence[AnyDoor], depth: int, titles: dict[str, str]) -> str:
    """A header row: one cell per run of columns alike in their first ``depth`` parts, spanning them."""
    runs = [(key, len(list(group))) for key, group in groupby(columns, key=lambda door: door[:depth])]
    return "<tr>" + "".join(f'<th colspan="{n}">{escape(titles[key[-1]])}</th>' for key, n in runs) + "</tr>"


def _table(matrix: Matrix, links: bool) -> str:
    """The door matrix (``links``: rows phones and OS; columns grouped by carrier and scene, then link kind), or
    the cashiers' table (columns grouped by cashier, then payment method)."""
    index = [i for i, door in enumerate(matrix.columns) if isinstance(door, Door) == links]
    columns = [matrix.columns[i] for i in index]
    rows = [(row, [row.cells[i] for i in index]) for row in matrix.rows]
    rows = [(row, cells) for row, cells in rows if any(cell.outcome is not None for cell in cells)]
    names: dict[str, str]
    if links:
        groups = _spans(columns, 1, CARRIER_TITLES)[4:] + _spans(columns, 2, SCENE_TITLES)
        names = {str(door[-1]): str(door[-1]) for door in columns}
    else:
        groups = _spans(columns, 1, CASHIER_TITLES)[4:]
        names = METHOD_TITLES
    depth = 3 if links else 2
    head = f'<tr><th class="phone" rowspan="{depth}">phone (OS)</th>' + groups + _spans(columns, depth, names)
    body = "".join(
        f'<tr><th class="phone" scope="row">{escape(row.device)}<small>{escape(row.os)}</small></th>'
        + "".join(_cell(cell) for cell in cells)
        + "</tr>"
        for row, cells in rows
    )
    if not rows:
        what = "link-outcome" if links else "payment"
        body = f'<tr><td colspan="{1 + len(columns)}" class="quiet">no {what} test ran</td></tr>'
    return f'<table class="matrix"><thead>{head}</thead><tbody>{body}</tbody></table>'


def _changes(matrix: Matrix) -> str:
    if matrix.previous is None:
        return '<h2>Changed since the previous run</h2><p class="quiet">No earlier run in this history.</p>'
    title = f"<h2>Changed since {escape(matrix.previous.name)}</h2>"
    changes = matrix.changes()
    if not changes:
        return title + '<p class="quiet">No cell changed.</p>'
    now = escape(stamp(matrix.run_at))
    items = [
        f"<li><b>{escape(cell.where)}</b>: {escape(change.previous)} ({escape(stamp(change.previous_at))}) → "
        f"<b>{escape(cell.outcome or '')}</b> ({now}){_link(cell.evidence)}</li>"
        for cell in changes
        if (change := cell.change) is not None
    ]
    return title + f'<ul class="list changes">{"".join(items)}</ul>'


def _errors(matrix: Matrix) -> str:
    errors = [cell for cell in matrix.cells() if cell.outcome == ERROR]
    if not errors:
        return ""
    items = [f"<li><b>{escape(cell.where)}</b>: {escape(cell.message)}{_link(cell.evidence)}</li>" for cell in errors]
    return f'<h2>Errors</h2><ul class="list errors">{"".join(items)}</ul>'


def render(matrix: Matrix) -> str:
    """The whole page."""
    title = "Connectivity matrix" + (f" — {matrix.label}" if matrix.label else "")
    meta = (
        "What tapping a link showed, per phone and OS and per door (carrier, scene and link kind); and which "
        "payment methods each cashier listed. "
        f"Run: <b>{escape(run_name(matrix.label, matrix.run_at))}</b>; "
        f"page built {escape(stamp(matrix.generated_at))}. "
        "A picture opens the screenshot it comes from."
    )
    if matrix.report_url:
        meta += f' <a class="report" href="{escape(matrix.report_url, quote=True)}">The run\'s Allure report</a>.'
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f'<h1>{escape(title)}</h1><p class="meta">{meta}</p>'
        f"{_legend()}<h2>Links</h2>{_table(matrix, links=True)}"
        f"<h2>Cashiers: the payment methods listed after 提交订单</h2>{_table(matrix, links=False)}"
        f"{_changes(matrix)}{_errors(matrix)}"
        "</body></html>\n"
    )
