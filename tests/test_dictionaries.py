"""Keyword dictionaries (LIWC .dic, WordStat .cat, quanteda YAML) read as codebooks.

The three real dictionaries are read in place from ``../shared/interop/dictionaries/`` beside
the repository (how CI lays it out); a missing folder fails the tests instead of skipping them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
from tests.conftest import REPOSITORY

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
