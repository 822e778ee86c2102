"""Hostile codebooks: YAML aliases to subtrees and cycles, absurd nesting, Python tags, and
regular expressions that backtrack catastrophically. Each is refused with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.autocode.matching import compile_matcher
from qualcode.codebook.files import CodebookError, load_codebook
from qualcode.codebook.safe_yaml import MAX_YAML_DEPTH
from qualcode.errors import UsageError
from qualcode.models import CodeRules
from qualcode.text.patterns import backtracking_risk
from tests.conftest import Cli, write


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path / "book.yml", text)
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    return str(caught.value)


def test_an_alias_to_a_list_or_mapping_is_refused_with_its_line(tmp_path: Path) -> None:
    cycle = "name: loop\ncodes: &codes\n  - id: a\n    name: 甲\n    codes: *codes\n"
    assert error_of(tmp_path, cycle) == (
        f"{tmp_path / 'book.yml'}:5: alias '*codes' repeats a mapping or list; aliases may only "
        "repeat a single value (write the part out)"
    )
    shared = "codes:\n  - &one {id: a, name: 甲}\n  - *one\n"
    assert error_of(tmp_path, shared).startswith(f"{tmp_path / 'book.yml'}:3: alias '*one'")


def test_an_alias_to_a_single_value_is_fine(tmp_path: Path) -> None:
    text = "codes:\n  - id: a\n    name: &same 网格员\n    keywords: [*same, 值守]\n"
    codebook = load_codebook(write(tmp_path / "book.yml", text))
    assert codebook.codes[0].rules.keywords == ("网格员", "值守")


def test_nesting_beyond_fifty_levels_is_refused_without_a_recursion_error(
    tmp_path: Path,
) -> None:
    deep = "codes: " + "[" * 1200 + "]" * 1200 + "\n"
    assert error_of(tmp_path, deep) == (
        f"{tmp_path / 'book.yml'}:1: nested deeper than {MAX_YAML_DEPTH} levels"
    )
    nested = "codes:\n" + "".join(
        "  " * (2 * level) + "- id: c\n" + "  " * (2 * level + 1) + "codes:\n"
        for level in range(30)
    )
    assert "nested deeper than 50 levels" in error_of(tmp_path, nested)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "!!python/object/apply:os.system ['echo hi']",
            "tag '!!python/object/apply:os.system' is not allowed: a codebook is data, and "
            "qualcode creates no Python objects from it",
        ),
        ("!!python/name:os.system ''", "tag '!!python/name:os.system' is not allowed"),
        ("!custom value", "tag '!custom' is not allowed: only plain text, numbers, lists"),
        ("!!binary aGk=", "tag '!!binary' is not allowed"),
    ],
)
def test_python_and_unknown_tags_are_refused(tmp_path: Path, value: str, expected: str) -> None:
    message = error_of(tmp_path, f"codes:\n  - id: a\n    name: 甲\n    keywords: {value}\n")
    assert message.startswith(f"{tmp_path / 'book.yml'}:4: {expected}")


def test_plain_explicit_tags_are_fine(tmp_path: Path) -> None:
    text = "codes:\n  - id: a\n    name: !!str 007\n    keywords: !!seq [网格员]\n"
    assert load_codebook(write(tmp_path / "book.yml", text)).codes[0].name_en == "007"


def test_the_cli_refuses_a_cyclic_codebook_in_one_line(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "loop.yml", "codes: &c\n  - id: a\n    codes: *c\n")
    assert cli("init").exit_code == 0
    result = cli("codebook", "load", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}:3: alias '*c' repeats a mapping or list")
    assert len(result.stderr.splitlines()) == 1


# Catastrophic regular expressions -----------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+$", r"(x*)*y", r"(\w+\s?)+$", r"(?:a{1,3})+$", r"(ab|a.)+$", r"(a|aa)+$", r"(aa?)+$",
     r"(a+a+)+$"],
)  # fmt: skip
def test_catastrophic_patterns_are_found(pattern: str) -> None:
    assert backtracking_risk(pattern) is not None


@pytest.mark.parametrize(
    "pattern",
    [r"网格员\d+名", r"(?:网格|社区)+", r"\d+\d+", r"(?:x{1,3}){1,3}", r"[ab]+c", r"(?:\d{4}-)+",
     r"(\w|\d)+", r"(?:ab|ac)+", r"grid\s+workers?", r"(ab?)+", r"((a+)b)+", r"(x\d+y)+",
     r"(?:第\d+条)+", r"(\w+\s)+"],
)  # fmt: skip
def test_ordinary_patterns_pass(pattern: str) -> None:
    assert backtracking_risk(pattern) is None


def test_a_codebook_with_a_catastrophic_pattern_is_refused_at_load(tmp_path: Path) -> None:
    text = "codes:\n  - id: a\n    name: 甲\n    patterns: ['(a+)+$']\n"
    assert error_of(tmp_path, text) == (
        f"{tmp_path / 'book.yml'}:4: code 'a': pattern '(a+)+$' could run for minutes on one "
        "segment: a repeat inside a repeat (like (a+)+) can take exponential time; rewrite it "
        "with one repeat ([\\w\\s]+) or a bounded outer repeat ({1,5})"
    )


def test_autocode_refuses_a_catastrophic_pattern_stored_before_the_check() -> None:
    rules = [CodeRules("a", keywords=(), exclude=(), patterns=("(a+)+$",), lemmas=())]
    with pytest.raises(UsageError, match=r"code a: pattern '\(a\+\)\+\$' could run for minutes"):
        compile_matcher(rules)
