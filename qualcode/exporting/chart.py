"""Heatmap of a theme matrix as PNG, SVG or PDF, with readable Chinese labels.

The figure shows a :class:`~qualcode.analysis.matrix.Matrix` exactly as built by the query
layer: every number printed in a cell is ``matrix.cells[i][j]``; nothing is recomputed here.

matplotlib is imported inside :func:`render_heatmap` only (``qualcode --help`` stays fast) and
draws through its Agg/SVG canvases directly, without pyplot, so no GUI backend or global figure
state is involved. Chinese labels need a font with CJK glyphs: :func:`find_cjk_font` looks for
one among the fonts matplotlib knows (Debian's ``fonts-noto-cjk`` provides Noto Sans CJK). When
none is installed the chart is still drawn: :func:`write_heatmap` labels the codes in English
where the codebook has English names, matplotlib's warning per missing glyph is silenced, and
:class:`ChartResult` says what happened, so that the command line warns once.
"""

from __future__ import annotations

import textwrap
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from qualcode.analysis.query import policy_text
from qualcode.errors import UsageError

if TYPE_CHECKING:
    from qualcode.analysis.matrix import Matrix, MatrixOptions, Number
    from qualcode.store.project import Project

#: Output formats by file suffix.
CHART_SUFFIXES = (".png", ".svg", ".pdf")

#: CJK-capable font families, best first: simplified-Chinese faces before other CJK faces.
CJK_FONT_PREFERENCE = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
)

#: Family used for everything the CJK font lacks (matplotlib falls back glyph by glyph).
FALLBACK_FONT = "DejaVu Sans"

#: Above this many cells the numbers are left out of the cells (they would be unreadable);
#: the colours and the totals in the labels remain.
MAX_LABELLED_CELLS = 900


#: Ask :func:`find_cjk_font` (the default of the ``cjk_font`` parameters).
FIND_FONT = "find"


@dataclass(frozen=True)
class ChartResult:
    """What was written: the file, its format and the CJK font used (``None``: none found).

    ``english_labels`` is true when no CJK font was found and the code names were drawn in
    English instead of Chinese; ``rows`` and ``columns`` are the matrix's size.
    """

    path: Path
    file_format: str
    cjk_font: str | None
    english_labels: bool = False
    rows: int = 0
    columns: int = 0


def format_number(value: Number) -> str:
    """A cell value as text: integers as they are, percentages with one decimal."""
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _label_width(label: str) -> float:
    """Approximate width of ``label`` in ems: wide (CJK) characters 1, others 0.6."""
    import unicodedata

    return sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.6 for char in label)


def find_cjk_font() -> str | None:
    """The family name of an installed CJK-capable font matplotlib can use, or ``None``.

    Prefers :data:`CJK_FONT_PREFERENCE`; otherwise any family whose name says CJK, SC, Hei,
    Song or Ming. matplotlib's font cache is built once per machine.
    """
    from matplotlib import font_manager

    available = {entry.name for entry in font_manager.fontManager.ttflist}
    for name in CJK_FONT_PREFERENCE:
        if name in available:
            return name
    hints = ("CJK", " SC", " CN", "Hei", "Song", "Ming", "Kai")
    candidates = sorted(name for name in available if any(hint in name for hint in hints))
    return candidates[0] if candidates else None


def chart_format(path: Path) -> str:
    """``png``, ``svg`` or ``pdf`` from the suffix of ``path``; anything else is a UsageError."""
    suffix = path.suffix.lower()
    if suffix not in CHART_SUFFIXES:
        raise UsageError(
            f"{path}: cannot tell the chart format from '{suffix or 'no suffix'}': "
            f"use {', '.join(CHART_SUFFIXES)}"
        )
    return suffix[1:]


def write_heatmap(
    project: Project,
    options: MatrixOptions,
    path: Path,
    *,
    cjk_font: str | Literal["find"] | None = FIND_FONT,
) -> ChartResult:
    """Build the matrix ``options`` describe and draw it into ``path``.

    ``cjk_font``: a font family, ``None`` for none, or :data:`FIND_FONT` to look for one.
    Without a CJK font, Chinese code names would be empty boxes: the columns are then labelled
    in English (each code's English name, else its Chinese one); case names are data and stay.
    """
    from qualcode.analysis.matrix import build_matrix

    font = find_cjk_font() if cjk_font == FIND_FONT else cjk_font
    english = font is None and options.language == "zh"
    if english:
        options = replace(options, language="en")
    matrix = build_matrix(project, options)
    result = render_heatmap(matrix, path, cjk_font=font)
    return replace(result, english_labels=english)


def render_heatmap(
    matrix: Matrix, path: Path, *, cjk_font: str | Literal["find"] | None = FIND_FONT
) -> ChartResult:
    """Draw ``matrix`` as a heatmap into ``path`` (format from the suffix) and return a result.

    Rows are the matrix rows, columns its columns, both in the matrix's order; each cell is
    shaded on one colour scale from 0 to the largest cell and labelled with its value. Row and
    column totals are printed in the tick labels (``label (total)``) rather than shaded, so
    that a large total does not wash out the scale. Large matrices get smaller labels and,
    beyond :data:`MAX_LABELLED_CELLS`, no numbers in the cells. The file is written under a
    temporary name and renamed into place, so an interrupted run leaves no half-written chart.
    """
    from qualcode.exporting.tables import atomic_output_path, check_writable

    file_format = chart_format(path)
    check_writable(path)  # before the drawing, not after it
    if not matrix.row_labels or not matrix.column_ids:
        raise UsageError("the matrix has no rows or no columns: there is nothing to draw")
    import matplotlib

    # The Agg canvas is used directly instead of matplotlib.use("Agg"): switching the global
    # backend would change the plots of a notebook that calls this function.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    if cjk_font == FIND_FONT:
        cjk_font = find_cjk_font()
    families = [cjk_font, FALLBACK_FONT] if cjk_font else [FALLBACK_FONT]
    rows, columns = len(matrix.row_labels), len(matrix.column_ids)
    largest = max(rows, columns)
    label_size = 10.0 if largest <= 40 else max(3.0, 400.0 / largest)
    # Room for the labels: a CJK character is about one em wide (label_size points); column
    # labels are turned 40 degrees, so they take about 0.65 of their length in height.
    em = label_size / 72.0
    row_label = max(_label_width(label) for label in matrix.row_labels) + 6
    column_label = max(_label_width(label) for label in matrix.column_labels) + 6
    width = min(2.5 + 0.6 * columns + em * row_label, 40.0)
    height = min(1.5 + 0.4 * rows + 0.65 * em * column_label, 40.0)
    with (
        matplotlib.rc_context({"font.family": families, "axes.unicode_minus": False}),
        warnings.catch_warnings(),
    ):
        if cjk_font is None:
            # One line from the caller says there is no CJK font, instead of a warning per
            # character matplotlib cannot draw.
            warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        figure = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.subplots()
        top = float(matrix.max_cell) or 1.0
        image = axes.imshow(
            [[float(value) for value in row] for row in matrix.cells],
            cmap="Blues", vmin=0.0, vmax=top, aspect="auto", interpolation="nearest",
        )  # fmt: skip
        if rows * columns <= MAX_LABELLED_CELLS:
            for i, row in enumerate(matrix.cells):
                for j, value in enumerate(row):
                    colour = "white" if float(value) > 0.6 * top else "black"
                    axes.text(
                        j, i, format_number(value), ha="center", va="center", color=colour,
                        fontsize=label_size,
                    )  # fmt: skip
        axes.set_xticks(
            range(columns),
            labels=[
                f"{label} ({format_number(total)})"
                for label, total in zip(matrix.column_labels, matrix.column_totals, strict=True)
            ],
            rotation=40, ha="right", rotation_mode="anchor", fontsize=label_size,
        )  # fmt: skip
        axes.set_yticks(
            range(rows),
            labels=[
                f"{label} ({format_number(total)})"
                for label, total in zip(matrix.row_labels, matrix.row_totals, strict=True)
            ],
            fontsize=label_size,
        )
        policy = "\n".join(textwrap.wrap(policy_text(matrix.options.filters), 90))
        axes.set_title(f"{matrix.codebook_name}: {matrix.measure} by {matrix.by}\n{policy}")
        axes.set_ylabel(matrix.by)
        axes.set_xlabel(matrix.level if matrix.depth is None else f"code, depth {matrix.depth}")
        colorbar = figure.colorbar(image, ax=axes)
        colorbar.set_label(matrix.measure)
        if matrix.measure not in ("percent", "coverage"):
            colorbar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        # 150 dpi, but at most about 4,000 pixels a side: huge matrices stay quick to write.
        dpi = min(150.0, 4000.0 / max(width, height))
        with atomic_output_path(path) as partial:
            figure.savefig(partial, format=file_format, dpi=dpi)
    return ChartResult(
        path=path, file_format=file_format, cjk_font=cjk_font, rows=rows, columns=columns
    )
