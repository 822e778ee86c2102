"""Keyword dictionaries (LIWC .dic, WordStat .cat, quanteda YAML) read as codebooks.

The three real dictionaries are read in place from ``../shared/interop/dictionaries/`` beside
the repository (how CI lays it out); a missing folder fails the tests instead of skipping them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import Result

from qualcode.autocode.matching import compile_matcher
from qualcode.codebook.dictionaries import (
    DictionaryFormat,
    parse_dictionary,
    parse_liwc_dic,
    parse_quanteda_yaml,
    parse_wordstat_cat,
    sniff_dictionary_format,
)
from qualcode.codebook.model import Codebook
from qualcode.errors import InputError
from qualcode.models import CodeRules
from tests.conftest import REPOSITORY, Cli, write

DICTIONARIES = REPOSITORY.parent / "shared" / "interop" / "dictionaries"
MORAL_FOUNDATIONS = DICTIONARIES / "moral_foundations_dictionary.dic"
LAVER_GARRY = DICTIONARIES / "Laver_and_Garry_2000.cat"
NEWSMAP = DICTIONARIES / "newsmap_chinese_simplified.yml"


def real(path: Path) -> str:
    """The text of a real dictionary; fails (never skips) when the interop folder is missing."""
    assert path.is_file(), f"{path} is missing: the tests need ../shared/interop beside the repo"
    return path.read_bytes().decode("utf-8")


def entries(codebook: Codebook) -> int:
    """How many (term, category) pairs the codebook holds: keywords plus prefixes."""
    return sum(len(code.rules.keywords) + len(code.rules.prefixes) for code in codebook)


def test_moral_foundations_dictionary_has_its_eleven_categories_and_every_entry() -> None:
    codebook = parse_liwc_dic(real(MORAL_FOUNDATIONS), MORAL_FOUNDATIONS)
    assert [code.name_en for code in codebook] == [
        "HarmVirtue", "HarmVice", "FairnessVirtue", "FairnessVice", "IngroupVirtue",
        "IngroupVice", "AuthorityVirtue", "AuthorityVice", "PurityVirtue", "PurityVice",
        "MoralityGeneral",
    ]  # fmt: skip
    assert all(code.is_theme for code in codebook)
    # 324 entry lines; some name several categories: 359 (term, category) pairs in all.
    assert entries(codebook) == 359
    harm = codebook.get("harmvirtue")
    assert "safe" in harm.rules.prefixes and "care" in harm.rules.keywords
    # "preserve<TAB><TAB>01 07 09": one word, three categories.
    for code_id in ("harmvirtue", "authorityvirtue", "purityvirtue"):
        assert "preserve" in codebook.get(code_id).rules.keywords


def test_laver_garry_keeps_its_hierarchy_weights_and_phrases() -> None:
    text = real(LAVER_GARRY)
    assert "\r\n" in text  # the real file has Windows line ends
    codebook = parse_wordstat_cat(text, LAVER_GARRY)
    assert len(codebook) == 26
    assert [code.code_id for code in codebook.themes()] == [
        "culture", "economy", "environment", "groups", "institutions", "law_and_order",
        "rural", "urban", "values",
    ]  # fmt: skip
    # 444 lines: 26 categories and 418 entries, each with its "(1)" weight dropped.
    assert entries(codebook) == 418
    assert [(code.code_id, code.name_en) for code in codebook.children("economy")] == [
        ("economy.state", "+STATE+"),
        ("economy.state_2", "=STATE="),
        ("economy.state_3", "-STATE-"),
    ]
    culture = codebook.get("culture")
    assert culture.rules.keywords == ("PEOPLE", "WAR IN IRAQ", "CIVIL WAR")
    assert "GALLER" in codebook.get("culture.culture_high").rules.prefixes
    assert codebook.get("rural").rules.prefixes[:2] == ("AGRICULTUR", "BIRD")


def test_newsmap_reads_three_levels_of_chinese_place_names() -> None:
    codebook = parse_quanteda_yaml(real(NEWSMAP), NEWSMAP)
    by_depth = [sum(1 for code in codebook if code.depth == depth) for depth in range(3)]
    assert by_depth == [5, 22, 241]
    assert entries(codebook) == 562
    burundi = codebook.get("africa.east.bi")
    assert burundi.name_en == "BI"
    assert burundi.rules.prefixes == ("布隆迪",)
    assert burundi.rules.keywords == ("布琼布拉",)
    # The same prefix in two categories fires both; it is kept in each.
    assert "刚果" in codebook.get("africa.middle.cd").rules.prefixes
    assert "刚果" in codebook.get("africa.middle.cg").rules.prefixes


def test_each_real_dictionary_is_told_by_its_content() -> None:
    assert sniff_dictionary_format(real(MORAL_FOUNDATIONS)) == "dic"
    assert sniff_dictionary_format(real(LAVER_GARRY)) == "cat"
    assert sniff_dictionary_format(real(NEWSMAP)) == "quanteda"
    qualcode_codebook = (REPOSITORY / "tests" / "fixtures" / "codebooks" / "mini.yml").read_text(
        encoding="utf-8"
    )
    assert sniff_dictionary_format(qualcode_codebook) is None


SMALL = {
    "dic": "%\n1\tPositive\n2\tNegative\n%\ngood\t1\nbad*\t2\nkind of\t1 2\n",
    "cat": "POSITIVE\n\tGOOD (1)\n\tNICE\n\t\tNICE* (1)\nNEGATIVE\n\tBAD* (1)\n",
    "quanteda": "positive:\n  good: [good, fine]\n  nice: [nice*]\nnegative: [bad*, 坏]\n",
}


@pytest.mark.parametrize("dictionary_format", ["dic", "cat", "quanteda"])
@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_ending_reads_to_the_same_codebook(
    dictionary_format: DictionaryFormat, line_end: str, tmp_path: Path
) -> None:
    path = tmp_path / f"small.{dictionary_format}"
    path.write_bytes(SMALL[dictionary_format].replace("\n", line_end).encode("utf-8"))
    text = path.read_bytes().decode("utf-8")
    if line_end == "\r":
        assert "\n" not in text  # really a CR-only file, as old Mac editors wrote
    assert sniff_dictionary_format(text) == dictionary_format
    read = parse_dictionary(text, dictionary_format, path)
    expected = parse_dictionary(SMALL[dictionary_format], dictionary_format, path)
    assert read.content_hash == expected.content_hash
    assert [code.line for code in read] == [code.line for code in expected]


def test_small_files_give_the_codes_and_rules_they_say() -> None:
    dic = parse_liwc_dic(SMALL["dic"])
    assert [(code.code_id, code.rules.keywords, code.rules.prefixes) for code in dic] == [
        ("positive", ("good", "kind of"), ()),
        ("negative", ("kind of",), ("bad",)),
    ]
    cat = parse_wordstat_cat(SMALL["cat"])
    assert [(code.code_id, code.rules.keywords, code.rules.prefixes) for code in cat] == [
        ("positive", ("GOOD",), ()),
        ("positive.nice", (), ("NICE",)),
        ("negative", (), ("BAD",)),
    ]
    quanteda = parse_quanteda_yaml(SMALL["quanteda"])
    assert [code.code_id for code in quanteda] == [
        "positive", "positive.good", "positive.nice", "negative",
    ]  # fmt: skip
    assert quanteda.get("negative").rules.keywords == ("坏",)


def test_a_multi_word_liwc_entry_reads_with_or_without_a_tab() -> None:
    codebook = parse_liwc_dic("%\n01 Hedges\n02 Other\n%\nkind of 01\nsort of\t01 02\n")
    assert codebook.get("hedges").rules.keywords == ("kind of", "sort of")
    assert codebook.get("other").rules.keywords == ("sort of",)


def test_accented_names_lose_their_accents_in_ids_only() -> None:
    codebook = parse_quanteda_yaml("Attitűd szint: [oltás*]\nÉrvek: [vakcina]\n")
    assert [(code.code_id, code.name_en) for code in codebook] == [
        ("attitud_szint", "Attitűd szint"),
        ("ervek", "Érvek"),
    ]


def test_chinese_category_names_get_positional_ids_and_keep_their_names() -> None:
    codebook = parse_quanteda_yaml("经济:\n  就业: [就业, 失业*]\n  物价: [物价]\n社会: [养老]\n")
    assert [(code.code_id, code.name_zh) for code in codebook] == [
        ("category_1", "经济"),
        ("category_1.category_1", "就业"),
        ("category_1.category_2", "物价"),
        ("category_2", "社会"),
    ]


@pytest.mark.parametrize(
    ("dictionary_format", "text", "line", "problem"),
    [
        ("dic", "01 Positive\n%\ngood 01\n", 1, "first line must be '%'"),
        ("dic", "%\n01 Positive\ngood\t01\n", 1, "not closed"),
        ("dic", "%\n01 Positive\n%\ngood\t01\nfine\t07\n", 5, "category '07' is not in"),
        ("dic", "%\n01 Positive\n01 Again\n%\n", 3, "used twice"),
        ("dic", "%\n01 Positive\n%\ngood\n", 4, "names no category"),
        ("cat", "POSITIVE\n\tGOOD (1)\n\t\t\tDEEP (1)\n", 3, "not inside a category"),
        ("cat", "\tGOOD (1)\n", 1, "not inside a category"),
        ("cat", "POSITIVE\n    GOOD (1)\n", 2, "indented with spaces"),
        ("cat", "POSITIVE\n\t\tSUB\n", 2, "indented deeper"),
        ("cat", "POSITIVE\n\tG*OD (1)\n", 2, "only a '*' at the end"),
        ("quanteda", "positive: [good, '*']\n", 1, "no text besides its wildcard"),
        ("quanteda", "positive:\n  good: fine\n", 2, "must hold a list"),
        ("quanteda", "positive: [good\n", 2, "YAML syntax error"),
    ],
)
def test_a_bad_line_is_one_message_naming_file_and_line(
    dictionary_format: DictionaryFormat, text: str, line: int, problem: str, tmp_path: Path
) -> None:
    path = tmp_path / f"bad.{dictionary_format}"
    for line_end in ("\n", "\r"):
        with pytest.raises(InputError) as raised:
            parse_dictionary(text.replace("\n", line_end), dictionary_format, path)
        assert raised.value.line == line
        message = str(raised.value)
        assert message.startswith(f"{path}:{line}: ")
        assert problem in message
        assert "\n" not in message


# --------------------------------------------------------------------------------------------
# Wildcards in the matcher: prefix rules


def hits(rules: list[CodeRules], text: str) -> list[tuple[str, str, str, str]]:
    """(code, rule kind, rule, quoted text) for every match."""
    return [
        (match.code_id, match.rule_kind, match.rule, text[match.start_char : match.end_char])
        for match in compile_matcher(rules).match(text)
    ]


def test_a_prefix_matches_whole_words_that_start_with_it() -> None:
    rules = [CodeRules("harm.virtue", prefixes=("protect",))]
    text = "Protect them: protection, protective care; unprotected is not ours."
    assert hits(rules, text) == [
        ("harm.virtue", "keyword", "protect*", "Protect"),
        ("harm.virtue", "keyword", "protect*", "protection"),
        ("harm.virtue", "keyword", "protect*", "protective"),
    ]


def test_a_chinese_prefix_matches_on_characters() -> None:
    rules = [
        CodeRules("africa.east.bi", prefixes=("布隆迪",), keywords=("布琼布拉",)),
        CodeRules("asia.south.in", prefixes=("印度",)),
        CodeRules("asia.south_east.id", prefixes=("印度尼西亚",)),
    ]
    text = "布隆迪人在布琼布拉；印度尼西亚不是印度。"
    assert hits(rules, text) == [
        ("africa.east.bi", "keyword", "布隆迪*", "布隆迪"),
        ("africa.east.bi", "keyword", "布琼布拉", "布琼布拉"),
        ("asia.south_east.id", "keyword", "印度尼西亚*", "印度尼西亚"),
        ("asia.south.in", "keyword", "印度*", "印度"),
    ]


def test_a_word_that_is_a_keyword_of_one_code_and_a_prefix_of_another_fires_each_rightly() -> None:
    rules = [CodeRules("exact", keywords=("care",)), CodeRules("open", prefixes=("care",))]
    assert hits(rules, "careful care") == [
        ("open", "keyword", "care*", "careful"),
        ("exact", "keyword", "care", "care"),
        ("open", "keyword", "care*", "care"),
    ]


def test_an_exclusion_vetoes_a_prefix_hit() -> None:
    rules = [CodeRules("harm", prefixes=("kill",), exclude=("killer app",))]
    assert hits(rules, "a killer app, then killing") == [("harm", "keyword", "kill*", "killing")]


def test_many_texts_match_like_one_text_at_a_time() -> None:
    rules = [CodeRules("open", prefixes=("care", "网格")), CodeRules("exact", keywords=("care",))]
    texts = ["careful care", "网格员", "nothing", "Caring? careless."] * 3
    matcher = compile_matcher(rules)
    assert list(matcher.match_many(texts)) == [matcher.match(text) for text in texts]


# --------------------------------------------------------------------------------------------
# Loading dictionaries into a project, and auto-coding with them


def load(cli: Cli, *arguments: str) -> Result:
    return cli("codebook", "load", *arguments)


@pytest.mark.parametrize(
    ("path", "codes"), [(MORAL_FOUNDATIONS, 11), (LAVER_GARRY, 26), (NEWSMAP, 268)]
)
def test_each_real_dictionary_loads_as_the_project_codebook(
    cli: Cli, path: Path, codes: int
) -> None:
    real(path)
    result = load(cli, str(path))
    assert result.exit_code == 0, result.stderr
    assert f"{codes} codes" in result.stderr
    shown = json.loads(cli("codebook", "show", "--format", "json").stdout)
    assert len(shown) == codes
    # Loading it again is no new version, so nothing that depends on the version changes.
    assert "unchanged" in load(cli, str(path)).stderr


def test_the_format_can_be_named_when_the_extension_does_not_tell(cli: Cli, tmp_path: Path) -> None:
    copy = tmp_path / "places.txt"
    copy.write_bytes(NEWSMAP.read_bytes())
    assert load(cli, str(copy), "--format", "quanteda").exit_code == 0
    # Told by content alone, too.
    liwc = tmp_path / "moral.txt"
    liwc.write_bytes(MORAL_FOUNDATIONS.read_bytes())
    result = load(cli, str(liwc))
    assert result.exit_code == 0, result.stderr
    assert "11 codes" in result.stderr


def test_a_bad_dictionary_line_is_one_error_and_the_codebook_stays(
    cli: Cli, tmp_path: Path
) -> None:
    assert load(cli, str(LAVER_GARRY)).exit_code == 0
    before = cli("codebook", "show", "--format", "json").stdout
    bad = tmp_path / "bad.dic"
    bad.write_bytes(b"%\r01\tPositive\r%\rgood\t01\rfine\t07\r")  # old Mac line ends
    result = load(cli, str(bad))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {bad}:5: entry 'fine': category '07' is not in the '%' block\n"
    assert cli("codebook", "show", "--format", "json").stdout == before


def test_an_exported_dictionary_codebook_reads_back_the_same(cli: Cli, tmp_path: Path) -> None:
    assert load(cli, str(MORAL_FOUNDATIONS)).exit_code == 0
    exported = tmp_path / "moral.yml"
    result = cli("codebook", "export", "-o", str(exported))
    assert result.exit_code == 0, result.stderr
    assert "prefixes:" in exported.read_text(encoding="utf-8")
    assert "unchanged" in load(cli, str(exported)).stderr


def test_chinese_place_names_code_a_real_interview(cli: Cli, tmp_path: Path) -> None:
    interview = write(
        tmp_path / "returnees.txt",
        "访谈者：社区里有从国外回来的人吗？\n"
        "书记：有，从印度尼西亚回来的两个人，还有一个肯尼亚人在内罗毕工作过。\n"
        "访谈者：印度呢？\n"
        "书记：印度没有。\n",
    )
    assert cli("import", str(interview)).exit_code == 0
    assert load(cli, str(NEWSMAP)).exit_code == 0
    result = cli("autocode")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(cli("quotes", "--format", "json").stdout)
    found = sorted((row["code"], row["rule"], row["quote"]) for row in rows)
    assert ("africa.east.ke", "肯尼亚*", "肯尼亚") in found
    assert ("africa.east.ke", "内罗毕", "内罗毕") in found
    assert ("asia.south_east.id", "印度尼西亚*", "印度尼西亚") in found
    # 印度 inside 印度尼西亚 is not India; the respondent's own 印度 is (the question is not
    # evidence: scope respondent).
    india = [row for row in found if row[0].endswith(".in")]
    assert india == [("asia.south.in", "印度*", "印度")]
