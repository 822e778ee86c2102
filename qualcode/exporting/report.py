"""A self-contained HTML report that leads with results: project summary, theme matrix, the
quotes behind each cell (each with the codings that put it there: code, coder, origin, rule
for automatic ones, memo, and the coded span highlighted), then the codebook, collapsed.

The report is one file that opens offline and can be mailed or archived: the style sheet and
the few lines of script are inline, there are no images, fonts or links to other sites, and
everything taken from the project (names, descriptions, quotes) is HTML-escaped. The page
layout is the data file ``qualcode/data/report.html`` (a :class:`string.Template`), filled here
with fragments built with :func:`html.escape`; no template engine is needed for that.

Every number in the matrix section is taken from the :class:`~qualcode.analysis.matrix.Matrix`
that :func:`~qualcode.analysis.matrix.build_matrix` returns, the same object the terminal
table and the exports render, so the report agrees with them exactly. The quotes under a cell
are the matrix's representative quotes (``MatrixOptions.quotes`` per cell); the cell's number
links to them.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from qualcode.analysis.query import (
    ProjectSummary,
    filter_phrases,
    policy_text,
    project_summary,
)
from qualcode.exporting.chart import format_number
from qualcode.store.project import Project

if TYPE_CHECKING:
    from qualcode.analysis.matrix import Matrix, MatrixOptions, QuoteRow
    from qualcode.codebook.model import Codebook

#: What the matrix's row bases count, per measure (shown as the "N" column).
_BASE_NAMES = {"coverage": "characters in segments", "respondents": "documents"}

#: Colour of the matrix shading (a blue close to matplotlib's "Blues" map used by the chart).
CELL_RGB = (33, 102, 172)


@dataclass(frozen=True)
class ReportResult:
    path: Path
    matrix: Matrix


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _summary_html(summary: ProjectSummary) -> str:
    lines = [
        '<table class="summary"><tbody>',
        f"<tr><th>Documents</th><td>{summary.documents}</td></tr>",
        f"<tr><th>Cases</th><td>{summary.cases}</td></tr>",
        f"<tr><th>Segments</th><td>{summary.segments}</td></tr>",
        f"<tr><th>Respondent segments</th><td>{summary.respondent_segments}</td></tr>",
        "</tbody></table>",
        '<table class="codings"><thead><tr><th>Origin</th><th>Coder</th><th>Codings</th>'
        "</tr></thead><tbody>",
    ]
    for origin, coder, count in summary.codings:
        lines.append(f"<tr><td>{_e(origin)}</td><td>{_e(coder)}</td><td>{count}</td></tr>")
    total = sum(count for _, _, count in summary.codings)
    lines.append(f'<tr><th colspan="2">All current codings</th><th>{total}</th></tr>')
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _codebook_html(codebook: Codebook) -> str:
    def branch(parent_id: str | None) -> str:
        children = codebook.children(parent_id)
        if not children:
            return ""
        items = []
        for code in children:
            names = " / ".join(_e(name) for name in (code.name_zh, code.name_en) if name)
            descriptions = "".join(
                f'<span class="description">{_e(text)}</span>'
                for text in (code.description_zh, code.description_en)
                if text
            )
            items.append(
                f'<li><span class="code-id">{_e(code.code_id)}</span> '
                f"<strong>{names or _e(code.code_id)}</strong>{descriptions}"
                f"{branch(code.code_id)}</li>"
            )
        css = ' class="codebook"' if parent_id is None else ""
        return f"<ul{css}>{''.join(items)}</ul>"

    title = _e(codebook.name) + (
        f' <span class="meta">({_e(codebook.version_label)})</span>'
        if codebook.version_label
        else ""
    )
    return f"<p><strong>{title}</strong></p>\n{branch(None)}"


def _cell_style(value: float, top: float) -> str:
    if value <= 0 or top <= 0:
        return ""
    ratio = value / top
    alpha = 0.08 + 0.82 * ratio
    red, green, blue = CELL_RGB
    text = "color: #fff; " if ratio > 0.6 else ""
    return f' style="{text}background-color: rgba({red}, {green}, {blue}, {alpha:.2f})"'


def _matrix_html(matrix: Matrix) -> str:
    top = float(matrix.max_cell)
    head = [f'<th class="corner">{_e(matrix.by)}</th>']
    for code_id, label in zip(matrix.column_ids, matrix.column_labels, strict=True):
        head.append(
            f'<th class="column" data-column="{_e(code_id)}">{_e(label)}'
            f'<span class="id">{_e(code_id)}</span></th>'
        )
    head.append('<th class="total">Total</th>')
    base = _BASE_NAMES.get(matrix.measure, "segments")
    head.append(f'<th class="base" title="{_e(base)} in the row">N ({_e(base)})</th>')
    body = []
    for i, (label, values, total, row_base) in enumerate(
        zip(matrix.row_labels, matrix.cells, matrix.row_totals, matrix.row_bases, strict=True)
    ):
        cells = [f'<th class="row" scope="row">{_e(label)}</th>']
        for j, value in enumerate(values):
            text = format_number(value)
            if (i, j) in matrix.quotes:
                text = f'<a href="#q-{i}-{j}">{text}</a>'
            cells.append(
                f'<td class="cell" data-row="{_e(label)}" '
                f'data-column="{_e(matrix.column_ids[j])}"{_cell_style(float(value), top)}>'
                f"{text}</td>"
            )
        cells.append(f'<td class="total" data-row="{_e(label)}">{format_number(total)}</td>')
        cells.append(f'<td class="base" data-row="{_e(label)}">{row_base}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    footer = ['<th class="total" scope="row">Total</th>']
    for code_id, total in zip(matrix.column_ids, matrix.column_totals, strict=True):
        footer.append(f'<td class="total" data-column="{_e(code_id)}">{format_number(total)}</td>')
    footer.append(f'<td class="total grand">{format_number(matrix.grand_total)}</td>')
    footer.append('<td class="base"></td>')
    return (
        '<table class="matrix">'
        f"<thead><tr>{''.join(head)}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody>"
        f"<tfoot><tr>{''.join(footer)}</tr></tfoot></table>"
    )


def _highlighted(quote: QuoteRow) -> str:
    """The quote's text, escaped, with its coded spans in ``<mark>``."""
    parts, position = [], 0
    for start, end in quote.spans():
        start, end = max(start, position), min(end, len(quote.text))
        if start >= end:
            continue
        parts += [_e(quote.text[position:start]), f"<mark>{_e(quote.text[start:end])}</mark>"]
        position = end
    parts.append(_e(quote.text[position:]))
    return "".join(parts)


def _quotes_html(matrix: Matrix) -> str:
    return "\n".join(_quotes_blocks(matrix))


def _quotes_blocks(matrix: Matrix) -> Iterator[str]:
    """The quotes section, one cell's block at a time (joined by newlines it is the section):
    a report of thousands of cells is written block by block, never held whole."""
    if matrix.options.quotes == 0:
        yield '<p class="note">No quotes were asked for (quotes per cell: 0).</p>'
        return
    if not matrix.quotes:
        yield '<p class="note">No quotes: no cell of the matrix has a coded segment.</p>'
        return
    for j, (code_id, column_label) in enumerate(
        zip(matrix.column_ids, matrix.column_labels, strict=True)
    ):
        for i, row_label in enumerate(matrix.row_labels):
            quotes = matrix.quotes.get((i, j))
            if not quotes:
                continue
            value = format_number(matrix.cells[i][j])
            items = []
            for quote in quotes:
                codings = "".join(
                    f'<li class="coding">{_e(coding["code"])} · {_e(coding["coder"])} · '
                    f'{_e(coding["origin"])}'
                    + (f' ({_e(coding["rule"])})' if coding["rule"] else "")
                    + (f' <span class="memo">memo: {_e(coding["memo"])}</span>'
                       if coding["memo"] else "")
                    + "</li>"
                    for coding in quote.codings
                )  # fmt: skip
                source = " · ".join(
                    _e(part)
                    for part in (
                        quote.case_name, quote.document, quote.speaker,
                        f"segment {quote.segment_id}",
                    )
                    if part
                )  # fmt: skip
                items.append(
                    f'<blockquote data-segment="{quote.segment_id}">{_highlighted(quote)}'
                    f'<br><span class="source">{source}</span>'
                    f'<ul class="codings">{codings}</ul></blockquote>'
                )
            yield (
                f'<details class="quotes" id="q-{i}-{j}" data-row="{_e(row_label)}" '
                f'data-column="{_e(code_id)}"><summary>{_e(row_label)} × {_e(column_label)} '
                f'<span class="code-id">{_e(code_id)}</span>: {_e(matrix.measure)} {value}, '
                f"{len(quotes)} quote{'s' if len(quotes) != 1 else ''}</summary>"
                f"{''.join(items)}</details>"
            )


def _filters_text(options: MatrixOptions) -> str:
    return "; ".join(filter_phrases(options.filters)) or "none"


def render_report(project: Project, matrix: Matrix, *, generated_at: str | None = None) -> str:
    """The report page for ``matrix`` (built from ``project``) as one HTML string."""
    return "".join(report_parts(project, matrix, generated_at=generated_at))


#: The template's line for the quotes section, where the page is written block by block.
_QUOTES_LINE = "\n$quotes\n"


def report_parts(
    project: Project, matrix: Matrix, *, generated_at: str | None = None
) -> Iterator[str]:
    """The report page in pieces that join to :func:`render_report`'s string: the page up to
    the quotes section, each cell's quotes, the rest. Writing them one by one keeps a report
    of thousands of cells (tens of MB of HTML) out of memory as a whole."""
    from qualcode._version import __version__
    from qualcode.store.codebooks import current_codebook

    stamp = generated_at or datetime.now(UTC).isoformat(timespec="seconds")
    options = matrix.options
    level = matrix.level if matrix.depth is None else f"{matrix.level}, depth {matrix.depth}"
    source = resources.files("qualcode").joinpath("data", "report.html").read_text("utf-8")
    head, tail = source.split(_QUOTES_LINE)
    values = {
        "language": _e(options.language),
        "version": _e(__version__),
        "title": _e(f"qualcode report: {project.path.name}"),
        "meta": _e(
            f"Codebook {matrix.codebook_name} · {policy_text(options.filters)} · generated "
            f"{stamp} by qualcode {__version__}"
        ),
        "summary": _summary_html(project_summary(project.conn)),
        "codebook": _codebook_html(current_codebook(project)),
        "matrix_note": _e(
            f"Rows: {matrix.by}. Columns: {level}. Measure: {matrix.measure}. "
            f"Filters: {_filters_text(options)}. Click a number to read its quotes."
        ),
        "matrix": _matrix_html(matrix),
        "quotes_note": _e(
            f"Up to {options.quotes} representative coded segments per cell, respondent turns "
            "first; open a cell to read them."
        ),
    }
    yield Template(head).substitute(values) + "\n"
    for number, block in enumerate(_quotes_blocks(matrix)):
        yield block if number == 0 else "\n" + block
    yield "\n" + Template(tail).substitute(values)


def write_report(project: Project, options: MatrixOptions, path: Path) -> ReportResult:
    """Build the matrix ``options`` describe and write the report to ``path``.

    The file is written next to its final name and renamed into place, so an interrupted run
    never leaves half a report behind; an unwritable path (a folder, a missing folder) is one
    ``QualcodeError``.
    """
    from qualcode.analysis.matrix import build_matrix
    from qualcode.exporting.tables import atomic_output_path, check_writable

    check_writable(path)  # before the matrix is built, not after
    matrix = build_matrix(project, options)
    with atomic_output_path(path) as partial, partial.open("w", encoding="utf-8") as stream:
        stream.writelines(report_parts(project, matrix))
    return ReportResult(path=path, matrix=matrix)
