"""The study report as one self-contained HTML page: inline CSS, figures as base64 PNG, no scripts.

The only links are to the page's own headings (the contents) and to the CSV files written beside it. Tables longer
than :data:`COLLAPSE_ROWS` rows are folded into ``<details>``, with their CSV linked in the summary line.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from html import escape
from pathlib import Path

from facebridge.reports.document import (
    Block,
    Bullets,
    Contents,
    Figure,
    Figures,
    Heading,
    Paragraph,
    Table,
    Verdict,
    anchors,
    contents,
)

#: Tables with more rows than this are collapsed (``<details>``) in the HTML.
COLLAPSE_ROWS = 20

CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1a1a1a; background: #fff;
       max-width: 1220px; margin: 1.5em auto; padding: 0 1em; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.6em; border-bottom: 2px solid #333; padding-bottom: .2em; }
h2 { font-size: 1.3em; margin-top: 1.6em; border-bottom: 1px solid #bbb; }
h3 { font-size: 1.1em; margin-top: 1.3em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: 13px; }
caption { text-align: left; font-weight: bold; padding: .3em 0; }
th, td { border: 1px solid #ccc; padding: .25em .55em; vertical-align: top; }
th { background: #f0f0f0; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.missed { background: #fbe3e1; font-weight: bold; }
td.met { background: #e3f4e3; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: .5em 0 1.2em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #444; max-width: 600px; }
nav.contents { background: #f7f7f7; border: 1px solid #ddd; padding: .4em 1em; display: inline-block; }
nav.contents ul { margin: .2em 0; padding-left: 1.2em; }
div.verdict { border: 2px solid #333; background: #fafafa; padding: .2em 1em; margin: .6em 0 1.2em; }
div.verdict ul { padding-left: 1.1em; }
div.verdict li { margin: .35em 0; }
.held, .not-held { font-weight: bold; padding: 0 .3em; border-radius: 3px; }
.held { background: #e3f4e3; color: #1b5e20; }
.not-held { background: #fbe3e1; color: #8e1b10; }
details { margin: .6em 0 1.2em; }
summary { cursor: pointer; font-weight: bold; }
"""
_NUMBER = re.compile(r"^[+-]?\d[\d.]*(e-?\d+)?( ± \d[\d.]*)?$|^–$")


def _cell(text: str) -> str:
    kind = "n" if _NUMBER.match(text) else text if text in ("met", "missed") else ""
    return f'<td class="{kind}">{escape(text)}</td>' if kind else f"<td>{escape(text)}</td>"


def html_table(table: Table) -> str:
    """The table; a long one inside ``<details>`` whose summary names its caption, row count and CSV."""
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(map(_cell, row)) + "</tr>" for row in table.rows)
    link = f'<a href="{escape(table.csv)}">{escape(table.csv)}</a>' if table.csv else ""
    if len(table.rows) > COLLAPSE_ROWS:
        title = escape(table.caption or "Table")
        where = f"; full precision in {link}" if link else ""
        grid = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        return f"<details><summary>{title} ({len(table.rows)} rows{where})</summary>{grid}</details>"
    caption = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    after = f"<p>Full precision: {link}.</p>" if link else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{after}"


def _contents(blocks: Sequence[Block], levels: tuple[int, ...]) -> str:
    """Nested lists of links, one level of nesting per heading level."""
    html, depth = "", 0
    top = min(levels)
    for level, text, anchor in contents(blocks, levels):
        want = level - top + 1
        html += "<ul>" * (want - depth) + "</ul>" * (depth - want)
        depth = want
        html += f'<li><a href="#{escape(anchor)}">{escape(text)}</a></li>'
    return f'<nav class="contents"><strong>Contents</strong>{html}{"</ul>" * depth}</nav>'


def _figure(figure: Figure, figure_dir: Path) -> str:
    data = base64.b64encode((figure_dir / f"{figure.name}.png").read_bytes()).decode("ascii")
    caption = escape(figure.caption)
    return (
        f'<figure id="fig-{figure.name}"><img src="data:image/png;base64,{data}" alt="{caption}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _verdict_item(item: tuple[str, str]) -> str:
    status, text = item
    badge = f'<span class="{status.replace(" ", "-")}">{escape(status)}</span> ' if status else ""
    return f"<li>{badge}{escape(text)}</li>"


def _html_block(block: Block, figure_dir: Path, blocks: Sequence[Block], anchor: str) -> str:
    if isinstance(block, Heading):
        return f'<h{block.level} id="{escape(anchor)}">{escape(block.text)}</h{block.level}>'
    if isinstance(block, Contents):
        return _contents(blocks, block.levels)
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Table):
        return html_table(block)
    if isinstance(block, Verdict):
        return '<div class="verdict"><ul>' + "".join(map(_verdict_item, block.items)) + "</ul></div>"
    if isinstance(block, Figures):
        return '<div class="figures">' + "".join(_figure(f, figure_dir) for f in block.items) + "</div>"
    return _figure(block, figure_dir)


def render_html(blocks: Sequence[Block], figure_dir: Path, title: str) -> str:
    """The page; each figure's PNG is read from ``figure_dir/<name>.png`` and embedded."""
    ids = anchors(blocks)
    body = "\n".join(_html_block(b, figure_dir, blocks, ids.get(i, "")) for i, b in enumerate(blocks))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
