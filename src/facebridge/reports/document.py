"""A report as a list of plain blocks, so that Markdown and HTML render the same content from one source.

Blocks hold text, never markup: each renderer escapes for its own format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Contents:
    """The table of contents: a link to every heading of ``levels`` (rendered from the document's headings)."""

    levels: tuple[int, ...] = (2, 3)


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table of formatted cells; the raw numbers behind it are in ``results.json`` and the CSV files.

    ``csv``: the report's CSV file holding these rows at full precision (linked beside the table), or ``""``.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    csv: str = ""


@dataclass(frozen=True)
class Figure:
    """One figure: ``draw()`` builds the matplotlib Figure, saved as ``figures/<name>.png`` and ``.svg``."""

    name: str
    caption: str
    draw: Callable[[], Any]


@dataclass(frozen=True)
class Figures:
    """Figures shown side by side where the format allows (HTML), one after the other otherwise."""

    items: tuple[Figure, ...]


@dataclass(frozen=True)
class Verdict:
    """The answer a report opens with, as a box: (status, text) per finding; status ``held`` / ``not held`` marks a
    claim's verdict, ``""`` a plain headline figure."""

    items: tuple[tuple[str, str], ...]


Block = Heading | Contents | Paragraph | Bullets | Table | Figure | Figures | Verdict


def slug(text: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(blocks: Sequence[Block]) -> dict[int, str]:
    """Block index -> anchor of every heading, unique as GitHub makes them (``name``, ``name-1``, ...)."""
    out: dict[int, str] = {}
    seen: dict[str, int] = {}
    for i, block in enumerate(blocks):
        if isinstance(block, Heading):
            base = slug(block.text)
            n = seen.get(base, 0)
            seen[base] = n + 1
            out[i] = base if n == 0 else f"{base}-{n}"
    return out


def contents(blocks: Sequence[Block], levels: tuple[int, ...]) -> list[tuple[int, str, str]]:
    """(level, heading text, anchor) of every heading of ``levels``, in order."""
    ids = anchors(blocks)
    return [(b.level, b.text, ids[i]) for i, b in enumerate(blocks) if isinstance(b, Heading) and b.level in levels]


def figures_of(blocks: Sequence[Block]) -> list[Figure]:
    """Every figure of a document, in order."""
    out: list[Figure] = []
    for block in blocks:
        if isinstance(block, Figure):
            out.append(block)
        elif isinstance(block, Figures):
            out.extend(block.items)
    return out


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(table: Table) -> str:
    """A GitHub-flavoured Markdown table, with its caption as a line above it and its CSV named below it."""
    lines = [table.caption, ""] if table.caption else []
    lines.append("| " + " | ".join(map(_md_cell, table.header)) + " |")
    lines.append("|" + "---|" * len(table.header))
    lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in table.rows]
    if table.csv:
        lines += ["", f"Full precision: [{table.csv}]({table.csv})."]
    return "\n".join(lines)


def _markdown_contents(blocks: Sequence[Block], levels: tuple[int, ...]) -> str:
    top = min(levels)
    return "\n".join(f"{'  ' * (level - top)}- [{text}](#{anchor})" for level, text, anchor in contents(blocks, levels))


def _markdown_block(block: Block, blocks: Sequence[Block]) -> str:
    if isinstance(block, Heading):
        return "#" * block.level + " " + block.text
    if isinstance(block, Contents):
        return _markdown_contents(blocks, block.levels)
    if isinstance(block, Paragraph):
        return block.text
    if isinstance(block, Bullets):
        return "\n".join(f"- {item}" for item in block.items)
    if isinstance(block, Table):
        return markdown_table(block)
    if isinstance(block, Verdict):
        return "\n".join(f"> - **{status}**: {text}" if status else f"> - {text}" for status, text in block.items)
    figures = block.items if isinstance(block, Figures) else (block,)
    return "\n\n".join(f"![{f.caption}](figures/{f.name}.png)\n\n*{f.caption}*" for f in figures)


def render_markdown(blocks: Sequence[Block]) -> str:
    """The document as Markdown; figures link to ``figures/<name>.png`` beside the file."""
    return "\n\n".join(_markdown_block(b, blocks) for b in blocks) + "\n"
