"""The heatmap (PNG/SVG, Chinese labels) and the self-contained HTML report, in a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest

from qualcode.analysis.matrix import MatrixOptions, build_matrix
from qualcode.exporting.chart import find_cjk_font, render_heatmap
from qualcode.store.codings import code_segment
from qualcode.store.project import Project
from tests.analysis.test_freq import add_document, build_study
from tests.conftest import Cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: A respondent turn whose text looks like markup: the report must show it, not obey it.
MARKUP_TURN = "<b>卡口</b> & <script>alert(1)</script> 很重要"


@pytest.fixture
def study(project: Project, tmp_path: Path) -> Project:
    """The freq study plus one Hillside turn with markup in it, coded grid.checkpoints."""
    build_study(project, tmp_path)
    (segment_id,) = add_document(
        project, "hillside-2.txt", [("Resident", "respondent", MARKUP_TURN)], "Hillside"
    )
    code_segment(project, segment_id, "grid.checkpoints", coder="wang")
    return project


#: Segments per case x theme, counted by hand from the fixture (see build_study).
EXPECTED_SEGMENTS = {
    ("柴机", "grid"): "1", ("柴机", "opinion"): "1",
    ("Riverside", "grid"): "1", ("Riverside", "opinion"): "0",
    ("Hillside", "grid"): "1", ("Hillside", "opinion"): "0",
}  # fmt: skip


def cjk_font_installed() -> bool:
    if shutil.which("fc-list") is None:
        return False
    listing = subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout
    return "CJK" in listing


def test_heatmap_png_and_svg(cli: Cli, study: Project, tmp_path: Path) -> None:
    png = tmp_path / "figures" / "heat.png"
    png.parent.mkdir()
    result = cli("chart", "matrix", "-o", str(png))
    assert result.exit_code == 0, result.stderr
    data = png.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000
    assert result.stderr.endswith(f"Wrote {png} (3 x 2).\n")
    warned = "Chinese labels may show as boxes" in result.stderr
    assert warned == (find_cjk_font() is None)
    svg = tmp_path / "heat.svg"
    result = cli("chart", "matrix", "--by", "district", "--measure", "percent", "-o", str(svg))
    assert result.exit_code == 0, result.stderr
    assert "<svg" in svg.read_text("utf-8")


@pytest.mark.skipif(not cjk_font_installed(), reason="no CJK font installed (fonts-noto-cjk)")
def test_heatmap_uses_a_cjk_font_when_installed(study: Project, tmp_path: Path) -> None:
    font = find_cjk_font()
    assert font is not None and "CJK" in font
    matrix = build_matrix(study, MatrixOptions())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = render_heatmap(matrix, tmp_path / "heat.png")
    assert result.cjk_font == font
    # matplotlib warns "Glyph ... missing from font(s)" for every character it cannot draw.
    assert not [warning for warning in caught if "missing from" in str(warning.message)]


def test_heatmap_states_the_coder_policy_it_counted(
    cli: Cli, study: Project, tmp_path: Path
) -> None:
    """The subtitle says which codings were counted, as the matrix caption and the report do
    (matplotlib's SVG keeps each text as a comment beside its drawn glyphs)."""

    def texts(*options: str) -> list[str]:
        svg = tmp_path / "policy.svg"
        result = cli("chart", "matrix", *options, "-o", str(svg))
        assert result.exit_code == 0, result.stderr
        return re.findall(r"<!-- (.*?) -->", svg.read_text("utf-8"))

    assert "counted: manual and automatic codings by every coder, each on its own" in texts()
    assert "counted: manual codings by wang, each on its own" in texts(
        "--coder", "wang", "--origin", "manual"
    )
    wrapped = " ".join(texts("--agreed", "2"))
    assert (
        "a segment counts for a code when at least 2 coders applied it (the auto-coder is one "
        "coder)" in wrapped
    )


def test_chart_refuses_an_unknown_suffix(cli: Cli, study: Project, tmp_path: Path) -> None:
    result = cli("chart", "matrix", "-o", str(tmp_path / "heat.gif"))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "heat.gif" in result.stderr
    assert not (tmp_path / "heat.gif").exists()
    assert "Example: qualcode chart matrix" in cli("chart", "matrix", "--help").stdout
    assert "Example: qualcode report" in cli("report", "--help").stdout


class ReportReader(HTMLParser):
    """Collects the matrix cells and the quotes of each cell from a report's DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], str] = {}
        self.quotes: dict[tuple[str, str], list[str]] = {}
        self.tags: list[str] = []
        self._cell: tuple[str, str] | None = None
        self._details: tuple[str, str] | None = None
        self._quote: list[str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        attributes = dict(attrs)
        key = (str(attributes.get("data-row")), str(attributes.get("data-column")))
        if tag == "td" and attributes.get("class") == "cell":
            self._cell, self._text = key, []
        elif tag == "details":
            self._details = key
        elif tag == "blockquote":
            self._quote = []
        elif tag == "br" and self._quote is not None and self._details is not None:
            self.quotes.setdefault(self._details, []).append("".join(self._quote))
            self._quote = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.cells[self._cell] = "".join(self._text).strip()
            self._cell = None
        elif tag == "details":
            self._details = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text.append(data)
        if self._quote is not None:
            self._quote.append(data)


def read_report(text: str) -> ReportReader:
    reader = ReportReader()
    reader.feed(text)
    return reader


def test_report_is_self_contained_and_escaped(cli: Cli, study: Project, tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.html"
    path.parent.mkdir()
    result = cli("report", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"Wrote {path}.\n"
    page = path.read_text("utf-8")
    assert re.search(r"https?://", page) is None
    assert re.search(r"<(link|img|iframe|object|embed)\b|\bsrc=|@import|url\(", page) is None
    # Markup from the project is text: the codebook description and the quote are escaped.
    assert "Grid workers &amp; checkpoints &lt;24h&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # only the report's own inline script
    reader = read_report(page)
    assert reader.cells == EXPECTED_SEGMENTS
    # Results first: summary, matrix, quotes; the codebook last, collapsed.
    assert page.index('id="summary"') < page.index('id="matrix"') < page.index('id="quotes"')
    assert page.index('id="quotes"') < page.index('<details id="codebook-section">')
    # Each quote names the codings behind it and marks the coded span inside the segment.
    assert '<li class="coding">grid.checkpoints · wang · manual</li>' in page
    assert "<mark>&lt;b&gt;卡口&lt;/b&gt; &amp; &lt;script&gt;" in page
    percent = tmp_path / "percent.html"
    assert cli("report", "--measure", "percent", "-o", str(percent)).exit_code == 0
    # 柴机 has 2 respondent segments, one coded under each theme.
    percent_page = percent.read_text("utf-8")
    assert read_report(percent_page).cells[("柴机", "grid")] == "50.0"
    assert '<td class="base" data-row="柴机">2</td>' in percent_page
    none = tmp_path / "none.html"
    assert cli("report", "--quotes", "0", "--lang", "en", "-o", str(none)).exit_code == 0
    none_page = none.read_text("utf-8")
    assert '<html lang="en">' in none_page and '<details class="quotes"' not in none_page
    assert "Grid governance" in none_page


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="chromium is not installed (.ci/run installs Debian's chromium package)",
)
def test_report_renders_matrix_and_quotes_in_chromium(
    cli: Cli, study: Project, tmp_path: Path
) -> None:
    path = tmp_path / "report.html"
    assert cli("report", "--quotes", "2", "-o", str(path)).exit_code == 0
    browser = subprocess.run(
        [
            "chromium", "--headless", "--no-sandbox", "--disable-gpu",
            f"--user-data-dir={tmp_path / 'chromium-profile'}", "--dump-dom", path.as_uri(),
        ],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert browser.returncode == 0, browser.stderr[-2000:]
    dom = read_report(browser.stdout)
    assert dom.cells == EXPECTED_SEGMENTS
    # The same numbers as the query layer's matrix: nothing is recomputed for the page.
    matrix = build_matrix(study, MatrixOptions())
    for i, row in enumerate(matrix.row_labels):
        for j, column in enumerate(matrix.column_ids):
            assert dom.cells[(row, column)] == str(matrix.cells[i][j])
    assert dom.quotes == {
        ("柴机", "grid"): ["网格员二十四小时值守，网格员很辛苦。"],
        ("柴机", "opinion"): ["菜价涨了，我们马上辟谣。"],
        ("Riverside", "grid"): ["The volunteers were checking the checkpoints every day."],
        ("Hillside", "grid"): [MARKUP_TURN],
    }
    # The browser parsed the quote as text: no <b> element came from the project's data.
    assert "b" not in dom.tags


def test_chart_and_report_take_codes_like_matrix(cli: Cli, study: Project, tmp_path: Path) -> None:
    """``--codes`` / ``--code`` repeat (or take commas) in every command, with one set of enums."""
    from qualcode.cli import analysis, figures, importing, options, quotes

    for module, names in (
        (figures, ["MeasureChoice", "LevelChoice", "OriginChoice", "LanguageChoice"]),
        (analysis, ["MeasureChoice", "LevelChoice"]),
        (quotes, ["OriginChoice", "LanguageChoice"]),
        (importing, ["TextLanguageChoice"]),
    ):
        for name in names:
            assert vars(module)[name] is vars(options)[name], (module.__name__, name)
    page = tmp_path / "report.html"
    result = cli("report", "--code", "grid.checkpoints", "--code", "opinion", "-o", str(page))
    assert result.exit_code == 0, result.stderr
    assert "codes grid.checkpoints, opinion" in page.read_text("utf-8")
    commas = tmp_path / "commas.html"
    result = cli("report", "--codes", "grid.checkpoints,opinion", "-o", str(commas))
    assert result.exit_code == 0, result.stderr
    assert "codes grid.checkpoints, opinion" in commas.read_text("utf-8")
    heat = tmp_path / "heat.png"
    result = cli("chart", "matrix", "--code", "grid", "--code", "opinion", "-o", str(heat))
    assert result.exit_code == 0, result.stderr


def test_heatmap_without_a_cjk_font_has_english_labels_and_no_glyph_warnings(
    study: Project, tmp_path: Path
) -> None:
    """Issue 13 item 10: with no Chinese font the codes are labelled in English where the
    codebook has English names, and matplotlib's per-glyph warnings are not passed on."""
    from qualcode.exporting.chart import write_heatmap

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = write_heatmap(
            study, MatrixOptions(level="code"), tmp_path / "heat.svg", cjk_font=None
        )
    assert result.cjk_font is None and result.english_labels
    assert not [warning for warning in caught if "missing from" in str(warning.message)]
    svg = (tmp_path / "heat.svg").read_text("utf-8")
    # SVG keeps the label text: English names, and the Chinese name where there is no English.
    assert "Checkpoints" in svg and "Public opinion" not in svg
    assert result.rows == 3
    with_font = write_heatmap(
        study, MatrixOptions(), tmp_path / "heat2.svg", cjk_font=find_cjk_font()
    )
    assert not with_font.english_labels
