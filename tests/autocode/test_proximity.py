"""Proximity rules (``all_of``, ``near``): terms of a code found together, with each term's span.

A researcher writes ``all_of: [人手, 不够]`` because either word alone is too broad; these tests
hold the promises that makes: both terms in one sentence (or within N characters), either
order, the span and each term's span quoting the transcript as written, exclusions still veto,
and a malformed rule is one line naming the file and line.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.autocode.matching import compile_matcher
from qualcode.autocode.runs import AutocodeOptions, run_autocode
from qualcode.codebook.files import (
    codebook_to_csv,
    codebook_to_yaml,
    parse_codebook_csv,
    parse_codebook_yaml,
)
from qualcode.models import NEAR_WITHIN, CodeRules, Match, Proximity
from qualcode.store.codebooks import load_into_project
from qualcode.store.migrations import migrations
from qualcode.store.project import Project, open_project
from tests.conftest import Cli, write

STAFF = Proximity("all_of", ("人手", "不够"))


def matches(rules: list[CodeRules], text: str) -> list[Match]:
    return compile_matcher(rules).match(text)


def test_all_of_fires_when_every_term_is_in_one_sentence_in_any_order() -> None:
    text = "社区里不够的是人手，真的。"
    (match,) = matches([CodeRules("staff", proximity=(STAFF,))], text)
    assert (match.rule_kind, match.rule) == ("all_of", "人手 + 不够")
    assert text[match.start_char : match.end_char] == "不够的是人手"
    assert [text[start:end] for start, end in match.spans] == ["不够", "人手"]


def test_all_of_does_not_reach_across_sentences() -> None:
    rules = [CodeRules("staff", proximity=(STAFF,))]
    assert matches(rules, "人手是有的。物资不够。") == []
    assert matches(rules, "人手是有的！物资不够") == []
    assert matches(rules, "人手是有的……物资不够") == []
    assert len(matches(rules, "人手是有的，物资不够")) == 1


def test_each_sentence_fires_a_rule_once() -> None:
    text = "人手不够，人手真的不够。人手不够！"
    found = matches([CodeRules("staff", proximity=(STAFF,))], text)
    assert [text[match.start_char : match.end_char] for match in found] == ["人手不够", "人手不够"]
    assert [match.start_char for match in found] == [0, 12]


def test_within_counts_the_characters_between_the_terms() -> None:
    rule = Proximity("all_of", ("防护", "没有"), within=4)
    rules = [CodeRules("protection", proximity=(rule,))]
    assert len(matches(rules, "防护服我们没有")) == 1  # three characters between
    assert matches(rules, "防护服和口罩都是没有的") == []  # seven between
    assert len(matches(rules, "没有。防护")) == 1  # a sentence end does not matter here
    (match,) = matches(rules, "防护服我们没有")
    assert match.rule == "防护 + 没有 (within 4)"


def test_near_pairs_default_to_ten_characters() -> None:
    rule = Proximity("near", ("overtime", "pay"), within=NEAR_WITHIN)
    rules = [CodeRules("pay", proximity=(rule,))]
    text = "We do OVERTIME and no pay for it."
    (match,) = matches(rules, text)
    assert text[match.start_char : match.end_char] == "OVERTIME and no pay"  # eight between
    assert matches(rules, "overtime, and then for a very long while nothing, no pay") == []
    assert matches(rules, "overtimes and pay") == []  # whole words, as for keywords


def test_full_width_text_keeps_original_offsets() -> None:
    rule = Proximity("all_of", ("wifi", "网格"))
    text = "网格里装了ＷｉＦｉ。"
    (match,) = matches([CodeRules("smart", proximity=(rule,))], text)
    assert [text[start:end] for start, end in match.spans] == ["网格", "ＷｉＦｉ"]


def test_an_exclusion_overlapping_a_term_vetoes_the_hit() -> None:
    rules = [CodeRules("staff", exclude=("不是人手",), proximity=(STAFF,))]
    assert matches(rules, "问题不是人手，是钱不够。") == []
    assert len(matches(rules, "人手不够，不是人手的错吗")) == 1


def test_terms_inside_keywords_still_count_and_keywords_still_fire() -> None:
    rules = [
        CodeRules("staff", proximity=(STAFF,)),
        CodeRules("workers", keywords=("人手不够用",)),
    ]
    text = "人手不够用。"
    assert {(match.code_id, match.rule_kind) for match in matches(rules, text)} == {
        ("staff", "all_of"),
        ("workers", "keyword"),
    }


MIXED = st.sampled_from(["人手", "不够", "，", "。", "！", "我们", "ＷｉＦｉ", "wifi", "……", "\n"])
MIXED_RULES = [
    CodeRules("a", keywords=("我们",), proximity=(STAFF,)),
    CodeRules("b", proximity=(Proximity("near", ("wifi", "不够"), within=3),)),
    CodeRules("c", exclude=("我们人手",), proximity=(Proximity("all_of", ("人手", "我们"), 6),)),
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(MIXED, max_size=14).map("".join), max_size=20))
def test_matching_many_texts_at_once_gives_what_one_at_a_time_gives(texts: list[str]) -> None:
    matcher = compile_matcher(MIXED_RULES)
    assert list(matcher.match_many(texts)) == [matcher.match(text) for text in texts]
    for text, found in zip(texts, matcher.match_many(texts), strict=True):
        for match in found:
            assert match.rule_kind != "keyword" or text[match.start_char : match.end_char] == "我们"
            assert all(
                match.start_char <= start < end <= match.end_char for start, end in match.spans
            )


CODEBOOK = """\
name: near
codes:
  - id: staff
    name: 人手
    all_of:
      - [人手, 不够]
      - {terms: [防护, 没有], within: 20}
    near: [[加班, 补贴], {terms: [overtime, pay], within: 15}]
"""


def test_yaml_and_csv_keep_proximity_rules_and_their_hash() -> None:
    codebook = parse_codebook_yaml(CODEBOOK)
    rules = codebook.get("staff").rules.proximity
    assert rules == (
        Proximity("all_of", ("人手", "不够")),
        Proximity("all_of", ("防护", "没有"), 20),
        Proximity("near", ("加班", "补贴"), NEAR_WITHIN),
        Proximity("near", ("overtime", "pay"), 15),
    )
    from_yaml = parse_codebook_yaml(codebook_to_yaml(codebook))
    from_csv = parse_codebook_csv(codebook_to_csv(codebook))
    assert from_yaml.codes == from_csv.codes == codebook.codes
    assert from_yaml.content_hash == from_csv.content_hash == codebook.content_hash
    without = parse_codebook_yaml(CODEBOOK.replace("      - [人手, 不够]\n", ""))
    assert without.content_hash != codebook.content_hash


def test_malformed_proximity_rules_are_reported_with_their_lines(cli: Cli, tmp_path: Path) -> None:
    bad = write(
        tmp_path / "bad.yml",
        "codes:\n"
        "  - id: staff\n"
        "    all_of:\n"
        "      - [人手]\n"
        "      - {terms: [a, b], within: far}\n"
        "    near: [[a, b, c], [x, '']]\n",
    )
    assert cli("init").exit_code == 0
    result = cli("codebook", "load", str(bad))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"Error: {bad}: 4 problems in codebook:"
    assert lines[1:] == [
        f"{bad}:4: code 'staff': an all_of rule needs two or more terms, e.g. [人手, 不够]",
        f"{bad}:5: code 'staff': within 'far' must be a whole number of characters from 0 to 1000",
        f"{bad}:6: code 'staff': a near rule is a pair of terms, e.g. [加班, 补贴]",
        f"{bad}:6: code 'staff': empty term in near rule (blank or whitespace only)",
    ]
    assert "staff" not in cli("codebook", "show").stdout


def test_an_auto_coding_run_stores_the_rule_and_both_spans(
    cli: Cli, project: Project, tmp_path: Path
) -> None:
    text = "采访者：现在最难的是什么？\n\n受访者：说实话，我们人手一直不够，晚上还要加班。\n"
    assert cli("import", str(write(tmp_path / "talk.txt", text))).exit_code == 0
    load_into_project(project, write(tmp_path / "near.yml", CODEBOOK))
    report = run_autocode(project, AutocodeOptions(run_by="test"))
    assert report.codings == 1
    row = project.conn.execute(
        "SELECT c.rule_kind, c.rule, c.start_char, c.end_char, c.spans, d.text FROM codings c "
        "JOIN segments s USING (segment_id) JOIN documents d USING (document_id)"
    ).fetchone()
    document = row["text"]
    assert (row["rule_kind"], row["rule"]) == ("all_of", "人手 + 不够")
    assert document[row["start_char"] : row["end_char"]] == "人手一直不够"
    assert [document[start:end] for start, end in json.loads(row["spans"])] == ["人手", "不够"]
    quote = project.conn.execute("SELECT quote, rule FROM codings_view").fetchone()
    assert tuple(quote) == ("人手一直不够", "人手 + 不够")


def test_a_project_from_before_proximity_rules_is_migrated_in_place(tmp_path: Path) -> None:
    """The widened rule-kind check and the spans column arrive without rebuilding codings."""
    from sqlite_utils import Database

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    migrations.apply(Database(conn), stop_before="m004_proximity_provenance")
    conn.close()
    with open_project(path) as project:
        conn = project.conn
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        columns = [row[1] for row in conn.execute("PRAGMA table_info(suggestions)")]
        assert "spans" in columns
        conn.execute("PRAGMA foreign_keys = OFF")
        insert = (
            "INSERT INTO codings (segment_id, code_id, coder, origin, run_id, rule_kind, rule, "
            "start_char, end_char, spans, created_at) VALUES (1, 'a', 'auto', 'auto', 1, ?, "
            "'x + y', 0, 4, '[[0, 1], [3, 4]]', 'now')"
        )
        conn.execute(insert, ("near",))
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(insert, ("guess",))
        conn.rollback()
