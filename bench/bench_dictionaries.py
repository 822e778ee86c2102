"""Keyword dictionaries as codebooks: reading them, and matching with their prefix rules.

Run:  .venv/bin/python bench/bench_dictionaries.py --segments 200000

Reads the three real dictionaries in ``../shared/interop/dictionaries/`` (LIWC, WordStat,
quanteda) and times each read. Then matches ``--segments`` generated English turns with the
Moral Foundations Dictionary, whose 359 entries are half prefixes (``protect*``), twice: as
read (prefix rules), and with every prefix turned into a plain keyword (what a reader without
prefix rules would do, finding far less), so the cost of open-ended matching is seen next to
the literal matcher's. Finally it matches generated Chinese turns with newsmap's 562 place
names (281 of them prefixes). Matching is ``Matcher.match_many``, as an auto-coding run does,
without the database.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time
from pathlib import Path

from generate import make_turn_text

from qualcode.autocode.matching import compile_matcher
from qualcode.codebook.files import load_codebook
from qualcode.codebook.model import Codebook
from qualcode.models import CodeRules

DICTIONARIES = Path(__file__).resolve().parent.parent.parent / "shared" / "interop" / "dictionaries"

ENGLISH_WORDS = (
    "the", "community", "we", "they", "people", "said", "every", "day", "and", "of", "to",
    "protection", "protective", "safety", "secure", "caring", "harmful", "suffering", "fair",
    "fairness", "equality", "loyal", "loyalty", "family", "authority", "obey", "lawful",
    "pure", "sacred", "dirty", "disgusting", "unfair", "cheating", "betrayal", "rebel",
    "volunteers", "grid", "workers", "checkpoint", "rumours", "prices", "masks", "residents",
)  # fmt: skip


def english_turn(rng: random.Random) -> str:
    return " ".join(rng.choice(ENGLISH_WORDS) for _ in range(rng.randint(8, 20))) + "."


def without_prefixes(codebook: Codebook) -> list[CodeRules]:
    """The rules with every prefix made a plain keyword (``protect*`` -> ``protect``)."""
    return [
        dataclasses.replace(
            rules,
            keywords=tuple(dict.fromkeys((*rules.keywords, *rules.prefixes))),
            prefixes=(),
        )
        for rules in codebook.rules()
    ]


def timed_match(rules: list[CodeRules], texts: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, hits) of matching ``texts``; CPU is what to compare on a
    busy machine."""
    matcher = compile_matcher(rules)
    started, started_cpu = time.perf_counter(), time.process_time()
    hits = sum(len(matches) for matches in matcher.match_many(texts))
    return time.perf_counter() - started, time.process_time() - started_cpu, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=5)
    arguments = parser.parse_args()
    codebooks: dict[str, Codebook] = {}
    for name in (
        "moral_foundations_dictionary.dic",
        "Laver_and_Garry_2000.cat",
        "newsmap_chinese_simplified.yml",
    ):
        started = time.perf_counter()
        codebook = load_codebook(DICTIONARIES / name)
        elapsed = time.perf_counter() - started
        entries = sum(len(code.rules.keywords) + len(code.rules.prefixes) for code in codebook)
        print(f"read {name}: {len(codebook)} codes, {entries} entries, {elapsed * 1000:.1f} ms")
        codebooks[name] = codebook
    rng = random.Random(arguments.seed)
    english = [english_turn(rng) for _ in range(arguments.segments)]
    chinese = [
        make_turn_text(rng) + "从印度尼西亚和肯尼亚回来的人" for _ in range(arguments.segments)
    ]
    moral = codebooks["moral_foundations_dictionary.dic"]
    for label, rules in (
        ("MFD with prefix rules", moral.rules()),
        ("MFD, prefixes as plain keywords", without_prefixes(moral)),
    ):
        elapsed, cpu, hits = timed_match(rules, english)
        rate = arguments.segments / cpu
        print(
            f"{label}: {hits} hits, {elapsed:.2f} s wall, {cpu:.2f} s CPU "
            f"({rate:,.0f} English segments per CPU second)"
        )
    elapsed, cpu, hits = timed_match(codebooks["newsmap_chinese_simplified.yml"].rules(), chinese)
    rate = arguments.segments / cpu
    print(
        f"newsmap (Chinese): {hits} hits, {elapsed:.2f} s wall, {cpu:.2f} s CPU "
        f"({rate:,.0f} segments per CPU second)"
    )


if __name__ == "__main__":
    main()
