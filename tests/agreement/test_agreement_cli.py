"""``qualcode agree`` and ``qualcode sample`` on a project built with the library.

The fixture stores two interviews with explicit segments, loads a small codebook, and codes the
segments as li and wang (and zhao where three coders are needed). Expected values are worked by
hand from the 2x2 tables written next to each test.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from qualcode.autocode.runs import AutocodeOptions, run_autocode
from qualcode.models import Segment
from qualcode.store.codebooks import load_into_project
from qualcode.store.codings import Span, code_segment
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.project import Project, open_project
from tests.conftest import CODEBOOK, Cli, write

# Segments 1-6 are the first interview (case 东林), 7-10 the second (case 南湖).
DONGLIN = ["小区门口设了卡口。", "卡口二十四小时有人。", "大家都在传谣言。", "我们马上辟谣。",
           "群里有谣言。", "没有什么特别的。"]  # fmt: skip
NANHU = ["卡口和谣言都有。", "菜价涨了。", "网格员很辛苦。", "谢谢。"]

A = "grid.checkpoints"
B = "opinion.rumours"
W = "grid.grid_workers"

# Segment -> codes given by li and by wang. Segment 9 only li coded; segment 10 nobody.
LI = {1: [A], 2: [A], 3: [A], 4: [B], 5: [B], 6: [B], 7: [A, B], 8: [B], 9: [A]}
WANG = {1: [A], 2: [A], 3: [B], 4: [B], 5: [B], 6: [A], 7: [A, B], 8: [B]}
ZHAO = {1: [A], 2: [B], 3: [A], 4: [B], 5: [B], 6: [A], 7: [A, B], 8: [B]}


def prepared(name: str, lines: list[str]) -> PreparedDocument:
    text = "\n".join(lines) + "\n"
    segments, start = [], 0
    for ordinal, line in enumerate(lines, 1):
        segments.append(Segment(ordinal, start, start + len(line), speaker="受访者"))
        start += len(line) + 1
    return PreparedDocument(name, name, text, "utf-8", "text", "zh", "sentence", segments)


def build(path: Path, tmp_path: Path, coders: dict[str, dict[int, list[str]]]) -> Project:
    project = open_project(path, create=True)
    store_document(project, prepared("donglin.txt", DONGLIN), case_name="东林")
    store_document(project, prepared("nanhu.txt", NANHU), case_name="南湖")
    load_into_project(project, write(tmp_path / "mini.yml", CODEBOOK))
    for coder, decisions in coders.items():
        for segment_id, codes in decisions.items():
            for code in codes:
                code_segment(project, segment_id, code, coder=coder)
    return project


@pytest.fixture
def study(db_path: Path, tmp_path: Path) -> Project:
    project = build(db_path, tmp_path, {"li": LI, "wang": WANG})
    run_autocode(project, AutocodeOptions(run_by="test"))
    return project


def rows_of(result: Any) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def by_code(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in rows}


def test_two_coders_per_code_and_pooled(cli: Cli, study: Project) -> None:
    result = cli("agree", "--coders", "li,wang", "--format", "json")
    rows = by_code(rows_of(result))
    assert list(rows) == [A, B, "(all codes)"]
    # A over segments 1-8: yes/yes 3, yes/no 1, no/yes 1, no/no 3.
    assert rows[A] == {
        "code": A, "coders": ["li", "wang"], "unit": "segment", "units": 8,
        "unit_basis": "segments coded by every compared coder",
        "percent_agreement": 0.75, "cohen_kappa": 0.5,
        "krippendorff_alpha": pytest.approx(0.53125, abs=1e-4),
    }  # fmt: skip
    # B: yes/yes 4, yes/no 1, no/yes 1, no/no 2: kappa (0.75 - 34/64) / (30/64), alpha 0.5.
    assert rows[B]["cohen_kappa"] == pytest.approx(0.4667, abs=1e-4)
    assert rows[B]["krippendorff_alpha"] == 0.5
    # Pooled over 16 (segment, code) units: 7, 2, 2, 5.
    pooled = rows["(all codes)"]
    assert pooled["units"] == 16
    assert pooled["percent_agreement"] == 0.75
    assert pooled["cohen_kappa"] == pytest.approx(0.4921, abs=1e-4)
    assert pooled["krippendorff_alpha"] == pytest.approx(1 - 31 * 8 / 504, abs=1e-4)
    assert "fleiss_kappa" not in pooled
    # A: one yes/no and one no/yes; B: the same; so four disagreements are open.
    assert result.stderr == (
        "li, wang: segments coded by every compared coder (8 segments); "
        "4 disagreements open for adjudication (qualcode adjudicate)\n"
    )


def test_all_segments(cli: Cli, study: Project) -> None:
    rows = by_code(rows_of(cli("agree", "--coders", "li,wang", "--all-segments", "--format",
                               "json")))  # fmt: skip
    assert rows[A]["units"] == 10
    assert rows[A]["unit_basis"] == "all segments"
    assert rows[A]["percent_agreement"] == 0.7  # segment 9: li yes, wang no
    assert rows[B]["percent_agreement"] == 0.8


def test_three_coders_fleiss(cli: Cli, study: Project) -> None:
    for segment_id, codes in ZHAO.items():
        for code in codes:
            code_segment(study, segment_id, code, coder="zhao")
    rows = by_code(rows_of(cli("agree", "--coders", "li,wang,zhao", "--format", "json")))
    # A over 1-8 (li, wang, zhao): 111, 110, 101, 000, 000, 011, 111, 000.
    # Fleiss: P_bar = (1 + 1/3 + 1/3 + 1 + 1 + 1/3 + 1 + 1) / 8 = 0.75, p_yes = 12/24.
    assert rows[A]["fleiss_kappa"] == 0.5
    assert "cohen_kappa" not in rows[A]
    assert rows[A]["coders"] == ["li", "wang", "zhao"]
    assert rows[A]["percent_agreement"] == 0.625
    assert rows[A]["krippendorff_alpha"] == pytest.approx(1 - 23 * 6 / (2 * 12 * 12), abs=1e-4)


def test_variable(cli: Cli, study: Project) -> None:
    for segment_id, coder in ((4, "li"), (4, "wang"), (5, "li"), (3, "wang")):
        code_segment(study, segment_id, W, coder=coder)
    rows = rows_of(cli("agree", "--coders", "li,wang", "--variable", "grid", "--format", "json"))
    # Values: 1 AA, 2 AA, 3 AW, 4 WW, 5 W-, 6 -A, 7 AA, 8 --; pairable 1, 2, 3, 4, 7.
    assert rows == [{
        "variable": "grid", "coders": ["li", "wang"], "unit": "segment", "units": 5,
        "unit_basis": "segments coded by every compared coder", "percent_agreement": 0.8,
        "cohen_kappa": pytest.approx((0.8 - 0.56) / 0.44, abs=1e-4),
        "krippendorff_alpha": pytest.approx(1 - 9 * 2 / (2 * 7 * 3), abs=1e-4),
    }]  # fmt: skip


def test_variable_with_two_values_for_one_segment(cli: Cli, study: Project) -> None:
    code_segment(study, 1, W, coder="li")
    result = cli("agree", "--coders", "li,wang", "--variable", "grid")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --variable grid: its sub-codes must exclude each other, but li gave more than "
        "one of them to segment(s) 1; keep one per segment (see 'qualcode segments --code "
        "grid')\n"
    )


def test_character_level(cli: Cli, db_path: Path, tmp_path: Path) -> None:
    project = build(db_path, tmp_path, {})
    code_segment(project, 1, A, coder="li", span=Span(quote="门口设了卡口"))
    code_segment(project, 1, A, coder="wang", span=Span(quote="卡口"))
    rows = by_code(rows_of(cli("agree", "--coders", "li,wang", "--unit", "char", "--format",
                               "json")))  # fmt: skip
    # 9 characters: neither 3, li only 4, both 2.
    assert rows[A]["unit"] == "char"
    assert rows[A]["units"] == 9
    assert rows[A]["percent_agreement"] == pytest.approx(5 / 9, abs=1e-4)
    assert rows[A]["krippendorff_alpha"] == pytest.approx(0.15, abs=1e-4)


def test_bootstrap_interval_is_seeded(cli: Cli, study: Project) -> None:
    arguments = ("agree", "--coders", "li,wang", "--bootstrap", "300", "--seed", "5",
                 "--format", "json")  # fmt: skip
    first = rows_of(cli(*arguments))
    assert first == rows_of(cli(*arguments))
    for row in first:
        assert row["bootstrap_samples"] == 300
        assert row["seed"] == 5
        assert row["krippendorff_alpha_low"] <= row["krippendorff_alpha"]
        assert row["krippendorff_alpha"] <= row["krippendorff_alpha_high"] <= 1


def test_formats(cli: Cli, study: Project) -> None:
    table = cli("agree", "--coders", "li,wang")
    assert table.exit_code == 0, table.stderr
    assert "segments coded by every compared coder" in table.stdout
    assert A in table.stdout and "0.750" in table.stdout and "0.500" in table.stdout
    markdown = cli("agree", "--coders", "li,wang", "--format", "md").stdout
    assert "| code | units | agreement | Cohen's kappa | Krippendorff's alpha |" in markdown
    assert f"| {A} | 8 | 0.750 | 0.500 | 0.531 |" in markdown
    text = cli("agree", "--coders", "li,wang", "--format", "csv").stdout
    records = list(csv.DictReader(io.StringIO(text)))
    assert records[0]["code"] == A
    assert records[0]["coders"] == "li,wang"
    assert records[0]["cohen_kappa"] == "0.5"


def test_other_project(cli: Cli, study: Project, tmp_path: Path) -> None:
    other_path = tmp_path / "zhou" / "qualcode.db"
    other_path.parent.mkdir()
    build(other_path, tmp_path, {"zhou": WANG}).close()
    before = other_path.read_bytes()
    result = cli("agree", "--coders", "li,zhou", "--other", str(other_path), "--format", "json")
    rows = by_code(rows_of(result))
    assert rows[A]["cohen_kappa"] == 0.5
    assert rows[B]["krippendorff_alpha"] == 0.5
    assert "2 documents matched by content" in result.stderr
    assert f"zhou from {other_path}" in result.stderr
    assert other_path.read_bytes() == before


def test_other_project_without_the_same_documents(cli: Cli, study: Project, tmp_path: Path) -> None:
    other_path = tmp_path / "elsewhere.db"
    with open_project(other_path, create=True) as other:
        store_document(other, prepared("x.txt", ["完全不同的访谈。"]), case_name="西山")
    result = cli("agree", "--coders", "li,wang", "--other", str(other_path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: no segment of {other_path} matches one in this")


def test_other_file_is_not_a_project(cli: Cli, study: Project, tmp_path: Path) -> None:
    text_file = write(tmp_path / "notes.txt", "not a database")
    result = cli("agree", "--coders", "li,wang", "--other", str(text_file))
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {text_file}: not a qualcode project (not an SQLite file)\n"
    )  # fmt: skip
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    result = cli("agree", "--coders", "li,wang", "--other", str(foreign))
    assert result.stderr == (
        f"Error: {foreign} is a SQLite database but not a qualcode project (it was left "
        "unchanged)\n"
    )
    with sqlite3.connect(foreign) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
    conn.close()
    assert tables == ["t"]
    missing = cli("agree", "--coders", "li,wang", "--other", str(tmp_path / "nope.db"))
    assert missing.stderr == f"Error: {tmp_path / 'nope.db'}: no such project file (--other)\n"


def test_bad_coders(cli: Cli, study: Project) -> None:
    unknown = cli("agree", "--coders", "li,nobody")
    assert (unknown.exit_code, unknown.stderr) == (
        1, "Error: no codings by coder 'nobody' (coders in this project: auto, li, wang)\n"
    )  # fmt: skip
    single = cli("agree", "--coders", "li")
    assert (single.exit_code, single.stderr) == (
        2, "Error: compare at least two coders, e.g. --coders li,wang\n"
    )  # fmt: skip
    variable = cli("agree", "--coders", "li,wang", "--variable", "nope")
    assert variable.exit_code == 1
    assert variable.stderr.startswith("Error: no code 'nope' for --variable")
    leaf = cli("agree", "--coders", "li,wang", "--variable", A)
    assert leaf.stderr == (
        f"Error: --variable needs a code with at least two sub-codes; '{A}' has 0\n"
    )


def test_no_segment_coded_by_all(cli: Cli, db_path: Path, tmp_path: Path) -> None:
    build(db_path, tmp_path, {"li": {1: [A]}, "wang": {2: [A]}}).close()
    result = cli("agree", "--coders", "li,wang")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no segment is coded by all of li, wang: code some segments in common, or pass "
        "--all-segments\n"
    )


def test_rules_against_a_coder(cli: Cli, study: Project) -> None:
    result = cli("agree", "--coders", "li", "--rules", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["units"] == 9
    codes = {row["code"]: row for row in report["codes"]}
    assert codes[A] == {
        "code": A, "has_rules": True, "true_positives": 3, "false_positives": 0,
        "false_negatives": 2, "precision": 1.0, "recall": 0.6, "f1": 0.75,
    }  # fmt: skip
    assert (codes[B]["precision"], codes[B]["recall"], codes[B]["f1"]) == (0.75, 0.6, 0.6667)
    assert (codes[W]["precision"], codes[W]["recall"]) == (0.0, None)
    rules = {(row["code"], row["rule"]): row for row in report["rules"]}
    assert rules[B, "谣言"]["true_positives"] == 2
    assert rules[B, "谣言"]["false_positives"] == 1
    assert rules[B, "谣言"]["recall"] == 0.4
    assert rules[B, "辟谣"]["recall"] == 0.2
    assert rules[A, "卡口"]["rule_kind"] == "keyword"
    assert [(row["code"], row["rule"]) for row in report["false_positive_rules"]] == [
        (W, "网格员"), ("opinion.prices", "菜价"), (B, "谣言"),
    ]  # fmt: skip
    assert [row["code"] for row in report["missed_codes"]] == [A, B]
    table = cli("agree", "--coders", "li", "--rules")
    assert "Rules with the most false positives" in table.stdout
    assert "Codes with the most misses" in table.stdout


def test_rules_needs_one_known_coder(cli: Cli, study: Project) -> None:
    two = cli("agree", "--coders", "li,wang", "--rules")
    assert two.exit_code == 2
    assert two.stderr.startswith("Error: --rules compares the automatic codings with one coder")
    unknown = cli("agree", "--coders", "zhao", "--rules")
    assert unknown.stderr == "Error: no manual codings by coder 'zhao' (coders: li, wang)\n"


def test_sample_is_stratified_and_seeded(cli: Cli, study: Project) -> None:
    first = rows_of(cli("sample", "--size", "5", "--seed", "3", "--format", "json"))
    assert first == rows_of(cli("sample", "--size", "5", "--seed", "3", "--format", "json"))
    cases = [row["case_name"] for row in first]
    assert (cases.count("东林"), cases.count("南湖")) == (3, 2)  # 6 and 4 segments
    coded = rows_of(cli("sample", "--size", "20", "--coded-by", "wang", "--format", "json"))
    assert sorted(row["segment_id"] for row in coded) == list(range(1, 9))


def test_coder_against_automatic_codings(cli: Cli, study: Project) -> None:
    rows = by_code(rows_of(cli("agree", "--coders", "li,auto", "--format", "json")))
    # Segments both coded: 1-5 and 7-9. A: both on 1, 2, 7; li only on 3 and 9; neither 4, 5, 8.
    assert rows[A]["units"] == 8
    assert rows[A]["percent_agreement"] == 0.75


def test_option_combinations_that_make_no_sense(cli: Cli, study: Project) -> None:
    char = cli("agree", "--coders", "li,wang", "--unit", "char", "--bootstrap", "100")
    assert (char.exit_code, char.stderr) == (
        2, "Error: --bootstrap resamples independent units: use it with --unit segment\n"
    )  # fmt: skip
    twice = cli("agree", "--coders", "li,li")
    assert twice.stderr == "Error: a coder is named twice in --coders li,li\n"
    empty = cli("sample", "--size", "3", "--coded-by", "nobody")
    assert (empty.exit_code, empty.stderr) == (
        1, "Error: no coder 'nobody' (known: auto, li, wang)\n"
    )  # fmt: skip
    assert cli("sample", "--size", "0").stderr == "Error: --size must be at least 1\n"


def test_rules_compare_themes_through_the_code_tree() -> None:
    """Coding grid.checkpoints says grid applies: a theme-level rule firing there is right."""
    from qualcode.agreement.rules import _with_ancestors

    parents = {
        "grid": None,
        "grid.checkpoints": "grid",
        "grid.checkpoints.gate": "grid.checkpoints",
    }
    assert _with_ancestors({"grid.checkpoints.gate"}, parents) == {
        "grid", "grid.checkpoints", "grid.checkpoints.gate",
    }  # fmt: skip
    assert _with_ancestors(set(), parents) == set()
