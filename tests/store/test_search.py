"""Keyword in context, Chinese (one, two, three+ characters) and English."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.conftest import Cli, write

TRANSCRIPT = (
    "Interviewer: How did you organise the grid?\n"
    "Respondent: Every grid has a grid worker, and Volunteers helped at the gate.\n"
    "Interviewer: 网格员多吗？\n"
    "Respondent: 网格员不够，一个网格员管三百户，卡口也缺人。\n"
)


def _hits(cli: Cli, query: str, *extra: str) -> list[dict[str, object]]:
    result = cli("search", query, "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_chinese_queries_of_every_length(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write(tmp_path / "shuixiu.txt", TRANSCRIPT)))
    segments = json.loads(cli("segments", "--format", "json").stdout)
    ids = [row["segment_id"] for row in segments]
    one = _hits(cli, "卡")
    assert [hit["segment_id"] for hit in one] == [ids[3]]
    two = _hits(cli, "网格")
    assert [hit["segment_id"] for hit in two] == [ids[2], ids[3]]
    assert two[1]["hits"] == [[0, 2], [8, 10]]
    three = _hits(cli, "网格员")
    assert [hit["segment_id"] for hit in three] == [ids[2], ids[3]]
    text, spans = three[1]["text"], three[1]["hits"]
    assert isinstance(text, str) and isinstance(spans, list)
    assert [text[start:end] for start, end in spans] == ["网格员", "网格员"]


def test_english_is_case_insensitive(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write(tmp_path / "x.txt", TRANSCRIPT)))
    hits = _hits(cli, "volunteers")
    assert len(hits) == 1
    assert hits[0]["speaker"] == "Respondent"
    assert [len(hit["hits"]) for hit in _hits(cli, "GRID")] == [1, 2]  # type: ignore[arg-type]
    assert _hits(cli, "go") == []


def test_keyword_in_context_lines(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write(tmp_path / "shuixiu.txt", TRANSCRIPT)))
    result = cli("search", "卡口", "--width", "10")
    assert result.exit_code == 0
    (line,) = result.stdout.splitlines()
    # --width counts terminal cells: five Chinese characters (or full-width commas) a side.
    assert line.split() == ["4", "shuixiu", "Respondent:", "…管三百户，卡口也缺人。"]
    assert result.stderr == "1 segments\n"
    narrow = cli("search", "卡口", "--width", "5")
    assert narrow.stdout.split()[-1] == "…户，卡口也缺…"


LONG_TURN = (
    "Respondent: " + "我们社区很大，" * 12 + "每个网格配一个网格员，" + "他们每天巡查，" * 12 + "\n"
)


def test_long_chinese_lines_keep_the_hit_when_piped(cli: Cli, tmp_path: Path) -> None:
    """Piped output is not cropped at 80 columns: the hit and its context are all there."""
    cli("import", str(write(tmp_path / "long.txt", LONG_TURN)))
    result = cli("search", "网格员")
    assert result.exit_code == 0, result.stderr
    (line,) = result.stdout.splitlines()
    # 30 cells of context: 15 Chinese characters on each side.
    context = "…，我们社区很大，每个网格配一个网格员，他们每天巡查，他们每天巡查，…"
    assert line.split() == ["1", "long", "Respondent:", context]


def test_long_chinese_lines_fit_the_terminal_with_the_hit(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal the context shrinks so the line fits and the hit stays visible."""
    cli("import", str(write(tmp_path / "long.txt", LONG_TURN)))
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "60")
    result = cli("search", "网格员")
    assert result.exit_code == 0, result.stderr
    (line,) = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout).splitlines()
    assert cell_len(line) <= 60
    assert "一个网格员，" in line


def test_index_catches_up_with_new_imports_and_filters(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write(tmp_path / "a.txt", TRANSCRIPT)))
    assert len(_hits(cli, "网格员")) == 2
    cli("import", str(write(tmp_path / "b.txt", TRANSCRIPT.replace("三百", "两百"))))
    assert len(_hits(cli, "网格员")) == 4
    assert {hit["case_name"] for hit in _hits(cli, "网格员", "--case", "b")} == {"b"}
    assert len(_hits(cli, "网格员", "--limit", "3")) == 3


def test_empty_query_is_a_usage_error(cli: Cli) -> None:
    cli("init")
    result = cli("search", "  ")
    assert result.exit_code == 2
    assert result.stderr == "Error: the search query is empty\n"


def test_search_is_complete_whatever_the_index_covers(cli: Cli, tmp_path: Path) -> None:
    """Import does not index (too costly); searches extend the index in batches and scan what
    it does not cover yet, so the hits never depend on how far the index reaches."""
    import sqlite3

    from qualcode.store.project import open_project
    from qualcode.store.search import search, update_search_index
    from tests.conftest import INTERVIEW

    def indexed() -> int:
        conn = sqlite3.connect(cli.db_path)
        try:
            return int(conn.execute("SELECT count(*) FROM segments_fts_docsize").fetchone()[0])
        finally:
            conn.close()

    for name in ("a.txt", "b.txt"):
        text = INTERVIEW + f"受访者：{name}的网格员很辛苦。\n"
        assert cli("import", str(write(tmp_path / name, text))).exit_code == 0
    assert indexed() == 0
    with open_project(cli.db_path) as project:
        unindexed = [hit.segment["segment_id"] for hit in search(project, "网格员", limit=None)]
        assert indexed() == 10  # the search indexed everything within its time budget
        for covered in (0, 3, 10):
            project.conn.execute("DELETE FROM segments_fts")  # external content: drop all
            project.conn.execute("INSERT INTO segments_fts (segments_fts) VALUES ('delete-all')")
            project.conn.execute("DELETE FROM settings")
            update_search_index(project, budget_seconds=None, batch=3)
            assert indexed() == 10
            project.conn.execute("INSERT INTO segments_fts (segments_fts) VALUES ('delete-all')")
            project.conn.execute(
                "UPDATE settings SET value = ? WHERE key = 'fts_indexed_through_segment_id'",
                (covered,),
            )
            project.conn.execute(
                "INSERT INTO segments_fts (rowid, text) SELECT segment_id, text FROM segments "
                "WHERE segment_id <= ?",
                (covered,),
            )
            hits = [hit.segment["segment_id"] for hit in search(project, "网格员", limit=None)]
            assert hits == unindexed, covered
    assert len(unindexed) == 4


# The search syntax through the command line ---------------------------------------------------

SYNTAX = (
    "Interviewer: 网格怎么划分？\n"
    "Respondent: 网格员和志愿者一起巡查，党员也下沉。\n"
    "Respondent: 网格员辟谣，谣言少了。\n"
    "Respondent: Volunteers and volunteering grew; the grid workers met at the gate.\n"
    "Respondent: A biggrid is not a grid.\n"
)


def _found(cli: Cli, *arguments: str) -> list[int]:
    """Ordinals (1-based, in the document) of the segments a search lists."""
    segments = json.loads(cli("segments", "--format", "json").stdout)
    ordinal = {row["segment_id"]: number for number, row in enumerate(segments, start=1)}
    result = cli("search", "--format", "json", *arguments)
    assert result.exit_code == 0, result.stderr
    return [ordinal[hit["segment_id"]] for hit in json.loads(result.stdout)]


def test_every_query_form_finds_what_it_says(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write(tmp_path / "syntax.txt", SYNTAX)))
    assert _found(cli, "网格 志愿者") == [2]
    assert _found(cli, "网格 NOT 谣言") == [1, 2]
    assert _found(cli, "网格", "--exclude", "谣言", "--exclude", "志愿者") == [1]
    assert _found(cli, "党员 OR 谣言") == [2, 3]
    assert _found(cli, "网格员 志愿者 OR 谣言") == [2, 3]
    assert _found(cli, '"grid workers"') == [4]
    assert _found(cli, "grid workers") == [4]
    assert _found(cli, "grid*") == [4, 5]
    assert _found(cli, "volunt*") == [4]
    assert _found(cli, "--regex", "网格员.{0,3}谣") == [3]
    assert _found(cli, "--regex", r"\bgrid\b") == [4, 5]
    hits = json.loads(cli("search", "volunt* gate", "--format", "json").stdout)
    text = hits[0]["text"]
    assert [text[start:end] for start, end in hits[0]["hits"]] == [
        "Volunteers", "volunteering", "gate",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (['"grid'], "Error: search query '\"grid': the quote at character 1 is not closed\n"),
        (
            ["网格 OR"],
            "Error: search query '网格 OR': OR at character 4 needs a word on each side\n",
        ),
        (["--regex", "(a+)+$"], None),
        (["--regex", "(unclosed"], None),
        ([], "Error: give a QUERY or --regex PATTERN (not both): qualcode search 网格员\n"),
    ],
)
def test_bad_syntax_is_one_error_line_and_exit_2(
    cli: Cli, tmp_path: Path, arguments: list[str], message: str | None
) -> None:
    cli("import", str(write(tmp_path / "syntax.txt", SYNTAX)))
    result = cli("search", *arguments)
    assert result.exit_code == 2  # a usage error
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: ")
    if message is not None:
        assert result.stderr == message


def test_a_query_starting_with_a_dash_is_read_after_double_dash(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write(tmp_path / "dash.txt", "Respondent: 体温-37度以下。\n")))
    assert _found(cli, "--", "-37度") == [1]
    assert "put -- before it" in cli("search", "--help").stdout


@pytest.mark.parametrize("columns", [80, 200])
def test_a_long_chinese_case_name_is_cut_so_the_context_keeps_its_room(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    name = "无锡市梁溪区柴机社区党委书记访谈记录第二次补充访谈"
    cli("import", str(write(tmp_path / f"{name}.txt", LONG_TURN)))
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", str(columns))
    result = cli("search", "网格员", "--width", "60")
    assert result.exit_code == 0, result.stderr
    (line,) = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout).splitlines()
    assert cell_len(line) <= columns
    assert "无锡市梁溪区柴…" in line and name not in line
    assert "网格员" in line
    context = line.split("Respondent: ")[1]
    assert cell_len(context) >= min(columns - 40, 120)
    # Piped, nothing is cut.
    monkeypatch.delenv("TTY_COMPATIBLE")
    assert name in cli("search", "网格员").stdout


def test_terminal_lines_stop_at_fifty_and_say_how_many_there_are(cli: Cli, tmp_path: Path) -> None:
    many = "".join(f"Respondent: 第{number}个网格员。\n" for number in range(60))
    cli("import", str(write(tmp_path / "many.txt", many)))
    result = cli("search", "网格员")
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 50
    assert result.stderr == (
        "50 of 60 segments shown; --all lists every one, --limit N another number\n"
    )
    everything = cli("search", "网格员", "--all")
    assert len(everything.stdout.splitlines()) == 60 and everything.stderr == "60 segments\n"
    assert len(cli("search", "网格员", "--limit", "55").stdout.splitlines()) == 55
    assert len(_hits(cli, "网格员")) == 60  # json lists all
    both = cli("search", "网格员", "--all", "--limit", "5")
    assert both.exit_code == 2 and both.stderr == "Error: give --all or --limit N, not both\n"


def _quoted(hits: list[dict[str, object]]) -> list[str]:
    """The stored text of every span of a single hit."""
    (hit,) = hits
    text, spans = str(hit["text"]), hit["hits"]
    assert isinstance(spans, list)
    return [text[start:end] for start, end in spans]


def test_a_word_cut_by_a_subtitle_line_break_is_found(cli: Cli, tmp_path: Path) -> None:
    """Issue 12: ``主要靠网`` / ``格员`` in one cue is found as 网格员, and the span points into
    the stored text, line break included; Latin words joined across a break form a phrase."""
    srt = (
        "1\n00:00:01,000 --> 00:00:04,000\n受访者：我们主要靠网\n格员上门排查。\n\n"
        "2\n00:00:05,000 --> 00:00:08,000\n受访者：the grid\nworkers helped.\n\n"
    )
    cli("import", str(write(tmp_path / "cue.srt", srt)))
    assert _quoted(_hits(cli, "网格员")) == ["网\n格员"]
    assert len(_hits(cli, "网格")) == 1  # a short term takes the scan path
    assert _quoted(_hits(cli, '"grid workers"')) == ["grid\nworkers"]
    assert _hits(cli, "网格员 NOT 上门") == []


@pytest.mark.parametrize("split", [False, True], ids=["one-connection", "threads"])
def test_counted_hits_equal_listed_hits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split: bool
) -> None:
    """The count printed under the first 50 lines is the number ``--all`` lists: the SQL count
    of plain (Chinese) queries agrees with the listing, and both with a check of every segment
    written out here, for queries of every form, with line breaks and blank lines inside turns,
    emoji, CJK extension characters and characters whose case folds oddly (ſ, K, É)."""
    import random

    from qualcode.errors import UsageError
    from qualcode.models import Segment
    from qualcode.store import search as search_module
    from qualcode.store.documents import PreparedDocument, store_document
    from qualcode.store.project import open_project
    from qualcode.store.search import count_matches, search
    from qualcode.text.folding import fold_line_breaks
    from qualcode.text.search_query import parse_query

    if split:  # the id ranges counted by threads, as in projects of 100,000 segments or more
        monkeypatch.setattr(search_module, "PARALLEL_COUNT_MINIMUM", 0)
    rng = random.Random(16)
    letters = list("网格员卡口gridGsſk\u212aéÉ😀𠀀")  # ſ, K: odd case folds; 𠀀: CJK ext. B
    breaks = ["\n", " \n", "\n\n"]  # stored text's only line break is \n (normalise_text)
    with open_project(tmp_path / "p.db", create=True) as project:
        for number in range(2):
            texts = []
            for _ in range(150):
                text = "".join(rng.choice([*letters, " "]) for _ in range(rng.randrange(1, 12)))
                if rng.random() < 0.3:
                    cut = rng.randrange(len(text) + 1)
                    text = text[:cut] + rng.choice(breaks) + text[cut:]
                texts.append(text)
            segments, offset = [], 0
            for ordinal, text in enumerate(texts):
                segments.append(Segment(ordinal, offset, offset + len(text), role="respondent"))
                offset += len(text) + 1
            document = PreparedDocument(
                name=f"d{number}.txt", source_path=f"d{number}.txt", text="\n".join(texts),
                encoding="utf-8", source_format="txt", language="zh", unit="turn",
                segments=segments,
            )  # fmt: skip
            store_document(project, document, case_name=f"case{number}")
        stored = [
            (row[0], row[1])
            for row in project.conn.execute(
                "SELECT s.text, c.name FROM segments s JOIN documents d USING (document_id) "
                "JOIN cases c USING (case_id)"
            )
        ]

        def term() -> str:
            word = "".join(rng.choice(letters) for _ in range(rng.randrange(1, 4)))
            return word + ("*" if rng.random() < 0.15 else "")

        checked = exact = 0
        for _ in range(120):
            parts = [term()]
            for _ in range(rng.randrange(3)):
                parts.append(rng.choice(["", "OR ", "NOT "]) + term())
            query = " ".join(parts)
            try:
                parsed = parse_query(query)
            except UsageError:
                continue
            for case_name in (None, "case1"):
                expected = sum(
                    1
                    for text, name in stored
                    if case_name in (None, name)
                    and parsed.spans(fold_line_breaks(text).text) is not None
                )
                listed = sum(1 for _ in search(project, parsed, case_name=case_name))
                counted = count_matches(project, parsed, case_name=case_name)
                assert counted == listed == expected, (query, case_name)
            checked += 1
            exact += parsed.sql_exact
    assert checked > 80 and exact > 20  # both ways of counting were exercised
