"""A report as a list of plain blocks, so that Markdown and HTML render the same content from one source.

Blocks hold text, never markup: each renderer escapes for its own format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table of formatted cells; the raw numbers behind it are in ``results.json`` and the CSV files."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


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


Block = Heading | Paragraph | Bullets | Table | Figure | Figures


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
    """A GitHub-flavoured Markdown table, with its caption as a line above it."""
    lines = [table.caption, ""] if table.caption else []
    lines.append("| " + " | ".join(map(_md_cell, table.header)) + " |")
    lines.append("|" + "---|" * len(table.header))
    lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in table.rows]
    return "\n".join(lines)


def _markdown_block(block: Block) -> str:
    if isinstance(block, Heading):
        return "#" * block.level + " " + block.text
    if isinstance(block, Paragraph):
        return block.text
    if isinstance(block, Bullets):
        return "\n".join(f"- {item}" for item in block.items)
    if isinstance(block, Table):
        return markdown_table(block)
    figures = block.items if isinstance(block, Figures) else (block,)
    return "\n\n".join(f"![{f.caption}](figures/{f.name}.png)\n\n*{f.caption}*" for f in figures)


def render_markdown(blocks: Sequence[Block]) -> str:
    """The document as Markdown; figures link to ``figures/<name>.png`` beside the file."""
    return "\n\n".join(_markdown_block(b) for b in blocks) + "\n"
