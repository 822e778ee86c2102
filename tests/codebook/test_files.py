"""Codebook files: the shipped codebook, the YAML and CSV formats, validation and the hash."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from qualcode.codebook.files import (
    CSV_COLUMNS,
    CodebookError,
    codebook_to_csv,
    codebook_to_yaml,
    load_codebook,
    parse_codebook_csv,
    parse_codebook_yaml,
)
from qualcode.codebook.model import Code, Codebook
from qualcode.errors import InputError, NotFoundError

REPOSITORY = Path(__file__).resolve().parents[2]
SHIPPED = REPOSITORY / "codebooks" / "community_governance.yml"
README = REPOSITORY / "codebooks" / "README.md"
PROBES = REPOSITORY / "tests" / "fixtures" / "codebooks" / "probes.yml"

SMALL = """\
name: small
version: "0.1"
language: zh
codes:
  - id: grid
    name: {zh: 网格, en: Grid}
    keywords: [网格, grid]
    codes:
      - id: workers
        name: 网格员
        keywords: [网格员, grid worker]
        codes:
          - id: full_time
            keywords: [专职网格员]
      - id: checkpoints
        keywords: [卡口]
        scope: all
  - id: opinion
    name: Public opinion
    codes:
      - id: rumours
        keywords: [谣言, rumour]
        exclude: [不是谣言]
        patterns: ['辟谣|澄清']
        lemmas: [Debunk]
        color: "#F80"
"""


def write(tmp_path: Path, text: str, name: str = "book.yml", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def load_text(tmp_path: Path, text: str, name: str = "book.yml") -> Codebook:
    return load_codebook(write(tmp_path, text, name))


def error_of(tmp_path: Path, text: str, name: str = "book.yml") -> str:
    """The message of the error loading ``text`` raises (the test fails if none)."""
    path = write(tmp_path, text, name)
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    return str(caught.value)


def code_ids(codebook: Codebook) -> list[str]:
    return [code.code_id for code in codebook.codes]


# --------------------------------------------------------------------------------------------
# The shipped codebook


def test_shipped_codebook_loads_with_the_study_themes() -> None:
    codebook = load_codebook(SHIPPED)
    assert codebook.name == "community_governance"
    assert [theme.code_id for theme in codebook.themes()] == [
        "grid",
        "resources",
        "opinion",
        "shortfalls",
        "improvement",
        "smart",
    ]
    expected = {
        "grid.five_step",
        "grid.grid_workers",
        "grid.checkpoints",
        "grid.door_to_door",
        "grid.closed_loop",
        "resources.six_self",
        "resources.autonomy_committee",
        "resources.volunteers",
        "resources.property",
        "resources.co_construction",
        "resources.donations",
        "resources.passive_external",
        "opinion.wechat",
        "opinion.broadcasting",
        "opinion.publicity",
        "opinion.rumours",
        "opinion.prices",
        "opinion.reassurance",
        "shortfalls.insufficient_forces.few_staff",
        "shortfalls.insufficient_forces.admin_burden",
        "shortfalls.insufficient_forces.repetitive_forms",
        "shortfalls.duties_guarantees.professional_ability",
        "shortfalls.duties_guarantees.pay",
        "shortfalls.duties_guarantees.protection_risk",
        "shortfalls.weak_participation",
        "improvement.staffing_training",
        "improvement.emergency_mechanism",
        "improvement.civic_cultivation",
    }
    assert expected <= set(code_ids(codebook))


def test_shipped_codebook_is_bilingual_with_keywords_in_both_languages() -> None:
    for code in load_codebook(SHIPPED):
        assert code.name_zh and code.name_en, code.code_id
        assert code.description_zh and code.description_en, code.code_id
        chinese = [word for word in code.rules.keywords if re.search(r"[\u4e00-\u9fff]", word)]
        english = [word for word in code.rules.keywords if word not in chinese]
        assert len(chinese) >= 4, code.code_id
        assert len(english) >= 3, code.code_id


def test_shipped_keywords_belong_to_one_code_each() -> None:
    owners: dict[str, str] = {}
    for code in load_codebook(SHIPPED):
        for keyword in code.rules.keywords:
            folded = keyword.casefold()
            assert folded not in owners, f"{keyword} in {owners.get(folded)} and {code.code_id}"
            owners[folded] = code.code_id


def test_shipped_codebook_avoids_bare_generic_words() -> None:
    keywords = {word for code in load_codebook(SHIPPED) for word in code.rules.keywords}
    assert not {"口罩", "检查", "问题", "工作", "社区", "居民", "风险", "感染"} & keywords
    assert all(len(word) >= 2 for word in keywords)


def _naive_hits(codebook: Codebook, text: str) -> set[str]:
    """Codes a plain keyword/pattern matcher finds: a stand-in for qualcode.autocode.runs.

    Chinese keywords match on characters, English ones as whole words ignoring case; a hit
    overlapped by an ``exclude`` phrase of its code is vetoed; where hits of different codes
    overlap, the longest wins. Lemmas need spaCy and are left to the autocode tests.
    """
    folded = text.casefold()
    hits: list[tuple[int, int, str]] = []
    for code in codebook:
        vetoes = [
            (match.start(), match.end())
            for phrase in code.rules.exclude
            for match in re.finditer(_literal_regex(phrase), folded)
        ]
        for keyword in code.rules.keywords:
            for match in re.finditer(_literal_regex(keyword), folded):
                if not any(match.start() < end and start < match.end() for start, end in vetoes):
                    hits.append((match.start(), match.end(), code.code_id))
        for pattern in code.rules.patterns:
            hits.extend((m.start(), m.end(), code.code_id) for m in re.finditer(pattern, text))
    return {
        code_id
        for start, end, code_id in hits
        if not any(
            other_start < end and start < other_end and other_end - other_start > end - start
            for other_start, other_end, other_code in hits
            if other_code != code_id
        )
    }


def _literal_regex(keyword: str) -> str:
    escaped = re.escape(keyword.casefold())
    if re.search(r"[a-z]", keyword.casefold()) and keyword.isascii():
        return rf"(?<![\w-]){escaped}(?![\w-])"
    return escaped


PROBE_CASES = yaml.safe_load(PROBES.read_text(encoding="utf-8"))


@pytest.mark.parametrize("probe", PROBE_CASES, ids=[case["text"][:24] for case in PROBE_CASES])
def test_shipped_rules_find_their_codes_in_interview_sentences(probe: dict[str, Any]) -> None:
    codebook = load_codebook(SHIPPED)
    hits = _naive_hits(codebook, unicodedata.normalize("NFC", probe["text"]))
    expected = set(probe.get("codes") or [])
    absent = set(probe.get("absent") or [])
    assert expected <= hits
    assert not absent & hits


def test_readme_yaml_example_is_a_valid_codebook(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert example is not None
    codebook = load_text(tmp_path, example.group(1), "my_study.yml")
    assert code_ids(codebook) == [
        "grid",
        "grid.grid_workers",
        "grid.checkpoints",
        "opinion",
        "opinion.rumours",
    ]
    assert codebook.get("grid").description_zh == "以网格为单元组织防控。"


def test_readme_csv_example_is_a_valid_codebook(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    example = re.search(r"## CSV format.*?```\n(.*?)```", text, re.DOTALL)
    assert example is not None
    codebook = load_text(tmp_path, example.group(1), "grid.csv")
    assert code_ids(codebook) == ["grid", "grid.grid_workers"]
    assert codebook.get("grid.grid_workers").rules.patterns == ("每个网格.{0,8}?社工",)


# --------------------------------------------------------------------------------------------
# Structure: ids, tree order, navigation


def test_ids_are_dotted_paths_of_slugs(tmp_path: Path) -> None:
    codebook = load_text(tmp_path, SMALL)
    assert code_ids(codebook) == [
        "grid",
        "grid.workers",
        "grid.workers.full_time",
        "grid.checkpoints",
        "opinion",
        "opinion.rumours",
    ]
    full_time = codebook.get("grid.workers.full_time")
    assert full_time.parent_id == "grid.workers"
    assert full_time.slug == "full_time"
    assert full_time.depth == 2
    assert full_time.rules.code_id == "grid.workers.full_time"


def test_a_code_may_give_its_full_dotted_id(tmp_path: Path) -> None:
    text = SMALL.replace("- id: checkpoints", "- id: grid.checkpoints")
    assert load_text(tmp_path, text).codes == load_text(tmp_path, SMALL).codes


def test_tree_order_depth_and_order(tmp_path: Path) -> None:
    codebook = load_text(tmp_path, SMALL)
    assert [code.order for code in codebook.codes] == list(range(6))
    assert [code.depth for code in codebook.codes] == [0, 1, 2, 1, 0, 1]
    assert [code.line for code in codebook.codes] == [5, 9, 13, 15, 18, 21]


def test_theme_of_children_descendants_and_rules(tmp_path: Path) -> None:
    codebook = load_text(tmp_path, SMALL)
    assert codebook.theme_of("grid.workers.full_time").code_id == "grid"
    assert codebook.theme_of("opinion").code_id == "opinion"
    assert [code.code_id for code in codebook.children("grid")] == [
        "grid.workers",
        "grid.checkpoints",
    ]
    assert [code.code_id for code in codebook.children()] == ["grid", "opinion"]
    assert [code.code_id for code in codebook.descendants("grid")] == [
        "grid.workers",
        "grid.workers.full_time",
        "grid.checkpoints",
    ]
    assert [rules.code_id for rules in codebook.rules()] == [
        "grid",
        "grid.workers",
        "grid.workers.full_time",
        "grid.checkpoints",
        "opinion.rumours",
    ]
    assert "opinion.rumours" in codebook
    assert "opinion.gossip" not in codebook


def test_get_unknown_code_suggests_the_closest(tmp_path: Path) -> None:
    codebook = load_text(tmp_path, SMALL)
    with pytest.raises(NotFoundError, match=r"no code 'opinion\.rumors'.*'opinion\.rumours'"):
        codebook.get("opinion.rumors")


def test_rule_values_are_read_as_written(tmp_path: Path) -> None:
    codebook = load_text(tmp_path, SMALL)
    rumours = codebook.get("opinion.rumours")
    assert rumours.rules.keywords == ("谣言", "rumour")
    assert rumours.rules.exclude == ("不是谣言",)
    assert rumours.rules.patterns == ("辟谣|澄清",)
    assert rumours.rules.lemmas == ("debunk",)
    assert rumours.rules.scope == "respondent"
    assert rumours.color == "#ff8800"
    assert codebook.get("grid.checkpoints").rules.scope == "all"
    assert codebook.version_label == "0.1"


def test_yaml_literals_stay_text(tmp_path: Path) -> None:
    text = "version: 1.10\ncodes:\n  - id: a\n    keywords: [yes, no, 2020, ' padded ']\n"
    codebook = load_text(tmp_path, text)
    assert codebook.version_label == "1.10"
    assert codebook.get("a").rules.keywords == ("yes", "no", "2020", "padded")


def test_keywords_are_composed_to_nfc(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "café")
    codebook = parse_codebook_yaml(f"codes:\n  - id: a\n    keywords: [{decomposed}]\n")
    assert codebook.get("a").rules.keywords == ("café",)


# --------------------------------------------------------------------------------------------
# Names and descriptions


def test_name_as_mapping_or_string(tmp_path: Path) -> None:
    text = """\
codes:
  - id: a
    name: {zh: 网格, en: Grid}
    description: {en: Only English here}
  - id: b
    name: 志愿者
    description: Volunteers and volunteering
"""
    codebook = load_text(tmp_path, text)
    first, second = codebook.get("a"), codebook.get("b")
    assert (first.name_zh, first.name_en) == ("网格", "Grid")
    assert (first.description_zh, first.description_en) == (None, "Only English here")
    assert (second.name_zh, second.name_en) == ("志愿者", None)
    assert second.description_en == "Volunteers and volunteering"
    assert second.display_name("en") == "志愿者"
    assert first.display_name("en") == "Grid"


def test_plain_strings_follow_the_codebook_language(tmp_path: Path) -> None:
    text = "language: en\ncodes:\n  - id: a\n    name: 网格 (grid)\n"
    code = load_text(tmp_path, text).get("a")
    assert (code.name_zh, code.name_en) == (None, "网格 (grid)")


def test_display_name_falls_back_to_the_id(tmp_path: Path) -> None:
    assert load_text(tmp_path, "codes:\n  - id: a\n").get("a").display_name() == "a"


# --------------------------------------------------------------------------------------------
# Round trips


def test_yaml_round_trip_gives_equal_codes(tmp_path: Path) -> None:
    for original in (load_text(tmp_path, SMALL), load_codebook(SHIPPED)):
        written = codebook_to_yaml(original)
        again = parse_codebook_yaml(written, "again.yml")
        assert again.codes == original.codes
        assert again.content_hash == original.content_hash
        assert (again.name, again.version_label, again.language) == (
            original.name,
            original.version_label,
            original.language,
        )
        assert (again.description_zh, again.description_en) == (
            original.description_zh,
            original.description_en,
        )


def test_csv_round_trip_gives_equal_codes(tmp_path: Path) -> None:
    for original in (load_text(tmp_path, SMALL), load_codebook(SHIPPED)):
        written = codebook_to_csv(original)
        assert written.splitlines()[0] == ",".join(CSV_COLUMNS)
        path = write(tmp_path, written, "exported.csv")
        again = load_codebook(path)
        assert again.codes == original.codes
        assert again.content_hash == original.content_hash
        assert again.name == "exported"


def test_csv_puts_patterns_one_per_line_because_bar_means_or(tmp_path: Path) -> None:
    text = SMALL.replace("patterns: ['辟谣|澄清']", "patterns: ['辟谣|澄清', '(不是|没有)谣言']")
    written = codebook_to_csv(load_text(tmp_path, text))
    rows = {row["code_id"]: row for row in csv.DictReader(io.StringIO(written))}
    assert rows["opinion.rumours"]["patterns"] == "辟谣|澄清\n(不是|没有)谣言"
    assert rows["opinion.rumours"]["keywords"] == "谣言|rumour"
    again = parse_codebook_csv(written, "x.csv")
    assert again.get("opinion.rumours").rules.patterns == ("辟谣|澄清", "(不是|没有)谣言")


def test_csv_from_a_spreadsheet(tmp_path: Path) -> None:
    """Slug ids with parent_id, rows out of order, plain name column, GBK, line breaks."""
    text = (
        "code_id,parent_id,name,keywords,patterns\n"
        "workers,grid,网格员,网格员|grid worker,\n"
        'grid,,Grid,"网格\ngrid","每个网格.{0,8}?社工\n(一|每)个网格"\n'
        "opinion,,舆情,舆情,\n"
    )
    codebook = load_codebook(write(tmp_path, text, "sheet.csv", encoding="gbk"))
    assert code_ids(codebook) == ["grid", "grid.workers", "opinion"]
    grid = codebook.get("grid")
    assert (grid.name_zh, grid.name_en) == (None, "Grid")
    assert grid.rules.keywords == ("网格", "grid")
    assert grid.rules.patterns == ("每个网格.{0,8}?社工", "(一|每)个网格")
    assert grid.line == 3
    assert codebook.get("opinion").line == 6
    assert codebook.get("grid.workers").name_zh == "网格员"


# --------------------------------------------------------------------------------------------
# Content hash


def test_hash_ignores_comments_whitespace_and_layout(tmp_path: Path) -> None:
    original = load_text(tmp_path, SMALL)
    reformatted = "# a comment\n\n" + SMALL.replace(
        "keywords: [网格, grid]", "keywords:   # two\n      - 网格\n      - grid"
    ).replace('version: "0.1"', 'version: "0.2"').replace("name: small", "name: renamed")
    assert load_text(tmp_path, reformatted).content_hash == original.content_hash


def test_hash_ignores_keyword_order_but_not_keywords(tmp_path: Path) -> None:
    original = load_text(tmp_path, SMALL).content_hash
    reordered = SMALL.replace("[谣言, rumour]", "[rumour, 谣言]")
    changed = SMALL.replace("[谣言, rumour]", "[谣言, rumours]")
    assert load_text(tmp_path, reordered).content_hash == original
    assert load_text(tmp_path, changed).content_hash != original


def test_hash_changes_with_scope_pattern_and_tree(tmp_path: Path) -> None:
    original = load_text(tmp_path, SMALL).content_hash
    for changed in (
        SMALL.replace("scope: all", "scope: interviewer"),
        SMALL.replace("'辟谣|澄清'", "'辟谣'"),
        SMALL.replace("id: full_time", "id: part_time"),
    ):
        assert load_text(tmp_path, changed).content_hash != original


def test_codebook_rebuilt_from_codes_hashes_the_same(tmp_path: Path) -> None:
    original = load_text(tmp_path, SMALL)
    rebuilt = Codebook(
        name="stored",
        version_label=None,
        language=None,
        description_zh=None,
        description_en=None,
        codes=tuple(
            Code(**{**{f: getattr(c, f) for f in Code.__dataclass_fields__}, "line": None})
            for c in original.codes
        ),
    )
    assert rebuilt.content_hash == original.content_hash
    assert len(original.content_hash) == 64


# --------------------------------------------------------------------------------------------
# Validation: each kind of problem names the file, the line and the code


def test_duplicate_id(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n  - id: b\n  - id: a\n")
    assert message == f"{tmp_path / 'book.yml'}:4: code 'a': duplicate id (first defined at line 2)"


def test_duplicate_id_through_the_dotted_form(tmp_path: Path) -> None:
    text = "codes:\n  - id: a\n    codes:\n      - id: b\n      - id: a.b\n"
    assert "book.yml:5: code 'a.b': duplicate id (first defined at line 4)" in error_of(
        tmp_path, text
    )


def test_unknown_parent_in_csv(tmp_path: Path) -> None:
    text = "code_id,parent_id,keywords\ngrid,,网格\nworkers,gird,网格员\n"
    message = error_of(tmp_path, text, "book.csv")
    assert message.endswith(
        "book.csv:3: code 'gird.workers': unknown parent 'gird' (did you mean 'grid'?)"
    )


def test_unknown_parent_implied_by_a_dotted_csv_id(tmp_path: Path) -> None:
    message = error_of(tmp_path, "code_id\ngrid\nopinion.rumours\n", "book.csv")
    assert "book.csv:3: code 'opinion.rumours': unknown parent 'opinion'" in message


def test_empty_keyword(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    keywords:\n      - x\n      -\n")
    assert message.endswith("book.yml:5: code 'a': empty keyword (blank or whitespace only)")


def test_whitespace_only_keyword(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    keywords: [x, '  ']\n")
    assert message.endswith("book.yml:3: code 'a': empty keyword (blank or whitespace only)")


def test_empty_keyword_in_csv(tmp_path: Path) -> None:
    message = error_of(tmp_path, "code_id,keywords\na,x||y\n", "book.csv")
    assert message.endswith("book.csv:2: code 'a': empty keyword (blank or whitespace only)")


def test_keyword_listed_twice(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    keywords: [x, y, x]\n")
    assert message.endswith("book.yml:3: code 'a': keyword 'x' is listed twice")


def test_keyword_with_a_bar(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    keywords: [网格|社区]\n")
    assert "book.yml:3: code 'a': keyword '网格|社区' contains '|'" in message


def test_bad_regex_shows_the_re_error(tmp_path: Path) -> None:
    text = "codes:\n  - id: a\n    keywords: [x]\n    patterns:\n      - '(社区|小区'\n"
    message = error_of(tmp_path, text)
    assert message.endswith(
        "book.yml:5: code 'a': pattern '(社区|小区' is not a valid regular expression: "
        "missing ), unterminated subpattern at position 0"
    )


def test_regex_the_parser_cannot_hold_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    huge_repeat = "codes:\n  - id: a\n    patterns: ['a{99999999999}']\n"
    assert error_of(tmp_path, huge_repeat).endswith(
        "book.yml:3: code 'a': pattern 'a{99999999999}' is not a valid regular expression: "
        "the repetition number is too large"
    )
    nested = "(" * 5000 + "a" + ")" * 5000
    message = error_of(tmp_path, f"codes:\n  - id: a\n    patterns: ['{nested}']\n")
    assert (
        f"book.yml:3: code 'a': pattern '{nested}' is not a valid regular expression: "
        "maximum recursion depth exceeded"
    ) in message


def test_cli_codebook_load_reports_a_too_large_repeat(tmp_path: Path) -> None:
    from tests.conftest import Cli

    cli = Cli(tmp_path / "study.db")
    cli("init")
    path = write(tmp_path, "codes:\n  - id: a\n    patterns: ['x{4294967296}y']\n")
    result = cli("codebook", "load", str(path))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {path}:3: code 'a': pattern 'x{{4294967296}}y' is not a valid regular "
        "expression: the repetition number is too large\n",
    )


def test_pattern_that_matches_empty_text(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    patterns: ['x*']\n")
    assert message.endswith("book.yml:3: code 'a': pattern 'x*' matches empty text")


def test_unknown_field_suggests_the_closest(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    keyword: [x]\n")
    assert message.endswith(
        "book.yml:3: code 'a': unknown field 'keyword' (did you mean 'keywords'?)"
    )


def test_unknown_top_level_field(tmp_path: Path) -> None:
    message = error_of(tmp_path, "nmae: x\ncodes:\n  - id: a\n")
    assert message.endswith("book.yml:1: unknown field 'nmae' (did you mean 'name'?)")


def test_unknown_csv_column(tmp_path: Path) -> None:
    message = error_of(tmp_path, "code_id,keyword\na,x\n", "book.csv")
    assert message.endswith("book.csv:1: unknown column 'keyword' (did you mean 'keywords'?)")


def test_field_given_twice(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    keywords: [x]\n    keywords: [y]\n")
    assert message.endswith("book.yml:4: code 'a': field 'keywords' given twice")


def test_missing_id(tmp_path: Path) -> None:
    text = "codes:\n  - id: grid\n    codes:\n      - id: a\n      - name: Workers\n"
    message = error_of(tmp_path, text)
    assert message.endswith("book.yml:5: code #2 under 'grid': missing 'id'")


def test_missing_theme_id(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - name: Grid\n")
    assert message.endswith("book.yml:2: theme #1: missing 'id'")


def test_missing_code_id_in_csv(tmp_path: Path) -> None:
    message = error_of(tmp_path, "code_id,name\na,A\n,B\n", "book.csv")
    assert message.endswith("book.csv:3: row #2: missing 'code_id'")


def test_bad_id_characters(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: grid\n    codes:\n      - id: Five-Step\n")
    assert message.endswith(
        "book.yml:4: code #1 under 'grid': id 'Five-Step' may only use a-z, 0-9 and '_' "
        "in each dot-separated part (try 'five_step')"
    )


def test_dotted_id_that_does_not_continue_its_parent(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: grid\n    codes:\n      - id: opinion.a\n")
    assert message.endswith(
        "book.yml:4: code #1 under 'grid': id 'opinion.a' does not continue its parent's id "
        "'grid' (write just 'a')"
    )


def test_dotted_id_on_a_theme(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: grid.a\n")
    assert message.endswith(
        "book.yml:2: theme #1: id 'grid.a' is dotted but the code is a theme (top level)"
    )


def test_bad_scope(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    scope: respondents\n")
    assert message.endswith(
        "book.yml:3: code 'a': scope 'respondents' is not one of respondent, all, interviewer "
        "(did you mean 'respondent'?)"
    )


def test_bad_scope_in_csv(tmp_path: Path) -> None:
    message = error_of(tmp_path, "code_id,scope\na,everyone\n", "book.csv")
    assert "book.csv:2: code 'a': scope 'everyone' is not one of" in message


def test_keywords_not_a_list(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    keywords: 网格员\n")
    assert message.endswith("book.yml:3: code 'a': 'keywords' must be a list, e.g. [first, second]")


def test_keyword_that_is_not_text(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    keywords: [x, {y: z}]\n")
    assert message.endswith("book.yml:3: code 'a': 'keywords' item #2 must be text")


def test_name_of_the_wrong_type(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    name: [x, y]\n")
    assert message.endswith(
        "book.yml:3: code 'a': 'name' must be text or a mapping {zh: ..., en: ...}"
    )


def test_name_in_an_unknown_language(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    name: {zh: 网格, fr: grille}\n")
    assert message.endswith("book.yml:3: code 'a': unknown field 'fr'")


def test_codes_not_a_list(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  grid:\n    name: Grid\n")
    assert message.endswith(
        "book.yml:2: 'codes' must be a list of codes, each starting '- id: ...'"
    )


def test_exclude_without_anything_to_veto(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    exclude: [x]\n")
    assert message.endswith(
        "book.yml:3: code 'a': 'exclude' given but no keywords, patterns, lemmas or proximity rules"
    )


def test_lemma_must_be_one_word(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    lemmas: [grid worker]\n")
    assert message.endswith("book.yml:3: code 'a': lemma 'grid worker' must be a single word")


def test_bad_color(tmp_path: Path) -> None:
    message = error_of(tmp_path, "codes:\n  - id: a\n    color: red\n")
    assert message.endswith("book.yml:3: code 'a': color 'red' is not '#rrggbb' or '#rgb'")


def test_bad_language(tmp_path: Path) -> None:
    message = error_of(tmp_path, "language: chinese\ncodes:\n  - id: a\n")
    assert message.endswith("book.yml:1: language 'chinese' is not one of zh, en")


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, "name: x\ncodes:\n  - id: a\n   name: b\n")
    assert message.startswith(f"{tmp_path / 'book.yml'}:4: YAML syntax error: ")


def test_empty_codebook(tmp_path: Path) -> None:
    message = error_of(tmp_path, "name: nothing\ncodes: []\n")
    assert message.endswith("book.yml:1: no codes: the codebook has nothing under 'codes:'")


def test_empty_file(tmp_path: Path) -> None:
    assert error_of(tmp_path, "# only a comment\n").endswith(
        "book.yml:1: empty file: no codebook in it"
    )


def test_empty_csv(tmp_path: Path) -> None:
    message = error_of(tmp_path, "code_id,keywords\n", "book.csv")
    assert message.endswith("book.csv:1: no codes: the codebook has nothing under 'codes:'")


def test_many_problems_are_reported_together_in_line_order(tmp_path: Path) -> None:
    text = """\
codes:
  - id: grid
    keyword: [网格]
    codes:
      - id: a
        patterns: ['(']
      - id: a
        scope: nobody
"""
    message = error_of(tmp_path, text)
    path = tmp_path / "book.yml"
    lines = message.splitlines()
    assert lines[0] == f"{path}: 4 problems in codebook:"
    assert lines[1] == f"{path}:3: code 'grid': unknown field 'keyword' (did you mean 'keywords'?)"
    assert lines[2].startswith(f"{path}:6: code 'grid.a': pattern '(' is not a valid regular")
    assert lines[3] == f"{path}:7: code 'grid.a': duplicate id (first defined at line 5)"
    assert lines[4].startswith(f"{path}:8: code 'grid.a': scope 'nobody' is not one of")


def test_codebook_error_is_an_input_error_with_every_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "codes:\n  - id: A\n  - id: b\n    scope: x\n")
    with pytest.raises(InputError) as caught:
        load_codebook(path)
    assert isinstance(caught.value, CodebookError)
    assert [problem.line for problem in caught.value.problems] == [2, 4]
    assert caught.value.path == str(path)


def test_unknown_file_type_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"book\.txt: unknown codebook format '\.txt'"):
        load_codebook(write(tmp_path, "codes: []", "book.txt"))
    with pytest.raises(InputError, match=r"missing\.yml: cannot be read: No such file"):
        load_codebook(tmp_path / "missing.yml")
