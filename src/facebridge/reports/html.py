"""The study report as one self-contained HTML page: inline CSS, figures as base64 PNG, no scripts, no links out."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from html import escape
from pathlib import Path

from facebridge.reports.document import Block, Bullets, Figure, Figures, Heading, Paragraph, Table

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
"""
_NUMBER = re.compile(r"^[+-]?\d[\d.]*( ± \d[\d.]*)?$|^–$")


def _cell(text: str) -> str:
    kind = "n" if _NUMBER.match(text) else text if text in ("met", "missed") else ""
    return f'<td class="{kind}">{escape(text)}</td>' if kind else f"<td>{escape(text)}</td>"


def html_table(table: Table) -> str:
    caption = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(map(_cell, row)) + "</tr>" for row in table.rows)
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(figure: Figure, figure_dir: Path) -> str:
    data = base64.b64encode((figure_dir / f"{figure.name}.png").read_bytes()).decode("ascii")
    caption = escape(figure.caption)
    return (
        f'<figure id="fig-{figure.name}"><img src="data:image/png;base64,{data}" alt="{caption}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _html_block(block: Block, figure_dir: Path) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{escape(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Table):
        return html_table(block)
    if isinstance(block, Figures):
        return '<div class="figures">' + "".join(_figure(f, figure_dir) for f in block.items) + "</div>"
    return _figure(block, figure_dir)


def render_html(blocks: Sequence[Block], figure_dir: Path, title: str) -> str:
    """The page; each figure's PNG is read from ``figure_dir/<name>.png`` and embedded."""
    body = "\n".join(_html_block(b, figure_dir) for b in blocks)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
