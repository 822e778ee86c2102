"""Word frequencies and keyness per theme, per case or per case-attribute value.

What is counted, so that a researcher can predict the numbers:

- **Words.** Han runs of a segment are split into words by jieba, which is also told the
  Chinese keywords of the project's codebook so that the researcher's own terms (网格员) stay
  whole; the rest of the text by spaCy's blank English tokenizer, each token reduced to its
  lookup lemma (:func:`qualcode.text.language.english_lemmatizer`) and lower-cased, so
  "Volunteers" and "volunteer" are one word. Tokens without a Han character or a Latin letter
  (numbers, punctuation) and words made of Chinese numerals only (二十四) are not words. Stop
  words come from the shipped data files ``qualcode/data/stopwords_zh.txt`` and
  ``stopwords_en.txt``; an English token is dropped when either its lower-case form or its
  lemma is listed.
- **Which segments.** By default respondent segments only (``speakers="respondent"``: every
  segment that is not an interviewer turn, the same rule as the codebook's ``scope``), because
  the interviewer's questions would otherwise put their words into every group.
- **Groups.** ``by="case"``: all segments of the case's documents, cases in the matrix's
  order (as created). ``by=<attribute>``: all segments of the cases with that attribute value,
  in the matrix's order (cases without it form the group ``(none)``). ``by="theme"``: the
  distinct segments with at least one current coding under the theme, from the shared query
  layer (:mod:`qualcode.analysis.query`) with its coder and origin filters; the whole
  segment's text counts, not only the coded span, because an automatic coding's span is just
  the keyword that fired. A segment coded under two themes counts in both.
- **Keyness.** Each group is compared with *the rest*: every segment in scope that is not in
  the group (for themes this includes uncoded segments). The statistic is the log-likelihood
  G2 of Dunning (1993) as computed by Rayson and Garside (2000); its sign is ``+`` when the
  group uses the word more often (per word of text) than the rest and ``-`` when less. G2 above
  3.84 is significant at p < 0.05 (one degree of freedom), above 10.83 at p < 0.001.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

from qualcode.analysis.matrix import MISSING_LABEL
from qualcode.analysis.query import (
    SPEAKERS,
    CodingFilter,
    Speakers,
    attribute_names,
    attribute_values,
    case_names,
    segment_texts,
    segment_themes_in_order,
    theme_labels,
    unknown_grouping,
)
from qualcode.errors import UsageError
from qualcode.store.project import Project
from qualcode.text.folding import fold_line_breaks
from qualcode.text.language import HAN_CHARACTER_CLASS, LATIN_CHARACTER_CLASS

#: Group name for segments of cases that lack the attribute grouped by (as in the matrix).
MISSING_GROUP = MISSING_LABEL

#: Fields of one result row, in output order.
FREQ_FIELDS = (
    "group", "label", "rank", "word", "count", "per_10k", "rest_count", "keyness",
)  # fmt: skip

_HAN_RUN = re.compile(f"[{HAN_CHARACTER_CLASS}]+")
_LATIN_LETTER = re.compile(f"[{LATIN_CHARACTER_CLASS}]")
#: Words made only of Chinese numerals (二十四, 二〇二〇) are numbers, not words; this also
#: drops the rare adverbs spelled with numerals only (万一, 千万).
_CHINESE_NUMBER = re.compile("[〇零一二三四五六七八九十百千万亿两]+")


@dataclass(frozen=True)
class FreqOptions:
    """What ``qualcode freq`` counts; see the module docstring for the exact semantics."""

    by: str = "theme"
    top: int = 20
    speakers: Speakers = "respondent"
    keyness: bool = False
    min_count: int = 1
    #: The coder policy that puts a segment under a theme (``by="theme"`` only).
    filters: CodingFilter = field(default_factory=CodingFilter)

    def __post_init__(self) -> None:
        if self.top < 1:
            raise UsageError(f"--top must be at least 1, not {self.top}")
        if self.min_count < 1:
            raise UsageError(f"--min-count must be at least 1, not {self.min_count}")
        if self.speakers not in SPEAKERS:
            raise UsageError(
                f"unknown speakers {self.speakers!r}: use respondent, all or interviewer"
            )


@functools.cache
def stop_words(language: Literal["zh", "en"]) -> frozenset[str]:
    """The shipped stop-word list of ``language`` (data file, ``#`` lines are comments)."""
    text = (
        resources.files("qualcode").joinpath("data", f"stopwords_{language}.txt").read_text("utf-8")
    )
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@functools.cache
def _english_tools() -> tuple[Any, Callable[[str], str]]:
    from qualcode.text.language import english_lemmatizer, english_sentencizer

    # Word forms repeat: each is looked up in spaCy's table once.
    return english_sentencizer().tokenizer, functools.cache(english_lemmatizer())


@functools.cache
def _chinese_tokenizer(user_words: frozenset[str]) -> Any:
    """A private jieba tokenizer that also knows ``user_words`` (the codebook's terms).

    jieba's dictionary lacks many governance terms (网格员 comes out as 网格 + 员); adding the
    codebook's Chinese keywords keeps the researcher's own terms whole. A separate
    ``jieba.Tokenizer`` is used so that the shared default one is left unchanged.
    """
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter on stderr
    tokenizer = jieba.Tokenizer()
    for word in sorted(user_words):
        tokenizer.add_word(word)
    return tokenizer


def codebook_terms(project: Project) -> frozenset[str]:
    """The Chinese keywords and prefixes of the project's current codebook (empty without a
    codebook)."""
    from qualcode.store.codebooks import current_codebook, has_codebook

    if not has_codebook(project):
        return frozenset()
    return frozenset(
        keyword
        for rules in current_codebook(project).rules()
        for keyword in (*rules.keywords, *rules.prefixes)
        if _HAN_RUN.fullmatch(keyword)
    )


def words_of(text: str, user_words: frozenset[str] = frozenset()) -> list[str]:
    """The counted words of ``text``: Chinese ones (jieba) first, then English lemmas.

    ``user_words`` are extra Chinese words jieba should keep whole (:func:`codebook_terms`).
    Stop words, numbers and punctuation are left out (module docstring). Line breaks inside
    the text are folded first (:mod:`qualcode.text.folding`): a word cut across two subtitle
    lines counts as one word.
    """
    from qualcode.text.language import chinese_words

    text = fold_line_breaks(text).text
    chinese_stop = stop_words("zh")
    words: list[str] = []
    rest: list[str] = []
    position = 0
    tokenizer = _chinese_tokenizer(user_words) if user_words else None
    for run in _HAN_RUN.finditer(text):
        rest.append(text[position : run.start()])
        position = run.end()
        pieces = (
            [word for word, _, _ in chinese_words(run.group())]
            if tokenizer is None
            else [word for word, _, _ in tokenizer.tokenize(run.group())]
        )
        words += [
            word
            for word in pieces
            if word not in chinese_stop and not _CHINESE_NUMBER.fullmatch(word)
        ]
    rest.append(text[position:])
    return words + _english_of_pieces(rest)


def english_words_of(text: str) -> list[str]:
    """The English lemmas :func:`words_of` counts in ``text`` (its text outside Han runs),
    without segmenting the Chinese: for counting English candidates in many segments."""
    return _english_of_pieces(_HAN_RUN.split(text))


def _english_of_pieces(pieces: list[str]) -> list[str]:
    english = " ".join(piece for piece in pieces if _LATIN_LETTER.search(piece))
    return _english_words(english) if english else []


def _english_words(text: str) -> list[str]:
    tokenizer, lemma_of = _english_tools()
    english_stop = stop_words("en")
    words = []
    for token in tokenizer(text):
        form = token.text
        if not _LATIN_LETTER.search(form):
            continue
        lower = form.lower()
        lemma = lemma_of(form).lower()
        if lower in english_stop or lemma in english_stop:
            continue
        words.append(lemma)
    return words


def log_likelihood(group_count: int, rest_count: int, group_total: int, rest_total: int) -> float:
    """Signed log-likelihood G2 of a word in a group against the rest (Rayson and Garside).

    ``a = group_count``, ``b = rest_count``, ``c = group_total``, ``d = rest_total`` (words).
    ``E1 = c(a+b)/(c+d)``, ``E2 = d(a+b)/(c+d)``, ``G2 = 2(a ln(a/E1) + b ln(b/E2))`` with
    ``0 ln 0 = 0``. Positive when ``a/c > b/d`` (overuse), negative when under; ``0.0`` when
    either side has no words, since there is nothing to compare.
    """
    if group_total == 0 or rest_total == 0:
        return 0.0
    both = group_count + rest_count
    total = group_total + rest_total
    expected_group = group_total * both / total
    expected_rest = rest_total * both / total
    g2 = 0.0
    if group_count:
        g2 += group_count * math.log(group_count / expected_group)
    if rest_count:
        g2 += rest_count * math.log(rest_count / expected_rest)
    g2 *= 2
    overuse = group_count * rest_total >= rest_count * group_total
    return g2 if overuse else -g2


@dataclass
class _Groups:
    """Which groups each in-scope segment belongs to, and the groups' labels in order."""

    labels: dict[str, str]
    of_segment: Callable[[int, Any], list[str]]


def _theme_groups(project: Project, options: FreqOptions) -> _Groups:
    from qualcode.store.codebooks import current_version_id

    current_version_id(project)  # NotFoundError, with what to do, when there is no codebook
    conn = project.conn
    return _Groups(
        theme_labels(conn), _ThemesInOrder(segment_themes_in_order(conn, options.filters))
    )


class _ThemesInOrder:
    """The themes of each segment, asked for in increasing segment order (as
    :func:`~qualcode.analysis.query.segment_texts` gives the segments): one pass over the
    query's rows beside the texts instead of a dict of every coded segment."""

    def __init__(self, rows: Iterator[tuple[int, list[str]]]) -> None:
        self.rows = rows
        self.next: tuple[int, list[str]] | None = next(rows, None)

    def __call__(self, segment_id: int, _key: Any) -> list[str]:
        while self.next is not None and self.next[0] < segment_id:
            self.next = next(self.rows, None)
        if self.next is not None and self.next[0] == segment_id:
            return self.next[1]
        return []


#: Which key :func:`~qualcode.analysis.query.segment_texts` gives each segment.
_GroupKey = Literal["none", "case"] | tuple[str]


def _segment_groups(project: Project, options: FreqOptions) -> tuple[_Groups, _GroupKey]:
    """Groups plus the key each segment's text comes with, from which its groups follow."""
    conn = project.conn
    if options.by == "theme":
        return _theme_groups(project, options), "none"
    if options.by == "case":
        labels = {name: name for name in case_names(conn).values()}
        return _Groups(labels, lambda _id, key: [str(key)]), "case"
    known = attribute_names(conn)
    if options.by not in known:
        raise unknown_grouping(options.by, ["theme", "case", *known])
    raw_values = attribute_values(conn, options.by)
    # The matrix's row order: numbers in numeric order first, then text.
    values = [
        str(value)
        for value in sorted(
            raw_values,
            key=lambda value: (
                (0, float(value), "") if isinstance(value, int | float) else (1, 0.0, str(value))
            ),
        )
    ]
    labels = {value: value for value in values}
    labels[MISSING_GROUP] = MISSING_GROUP
    return (
        _Groups(labels, lambda _id, key: [MISSING_GROUP if key is None else str(key)]),
        (options.by,),
    )


def _count(
    project: Project, options: FreqOptions, groups: _Groups, key: _GroupKey
) -> tuple[dict[str, Counter[str]], Counter[str]]:
    """Word counts per group and over every segment in scope, in one pass over the text."""
    per_group: dict[str, Counter[str]] = {name: Counter() for name in groups.labels}
    corpus: Counter[str] = Counter()
    user_words = codebook_terms(project)
    for segment_id, text, group_key in segment_texts(project.conn, options.speakers, key):
        words = Counter(words_of(text, user_words))
        corpus.update(words)
        for name in groups.of_segment(segment_id, group_key):
            per_group.setdefault(name, Counter()).update(words)
    return per_group, corpus


def word_frequencies(project: Project, options: FreqOptions) -> list[dict[str, Any]]:
    """The top ``options.top`` words of every group (fields :data:`FREQ_FIELDS`).

    Ranked by count (ties by word) or, with ``options.keyness``, by signed G2 so that the
    words a group over-uses most come first. ``per_10k`` is the count per 10,000 counted words
    of the group; ``rest_count`` the word's count in the rest; ``keyness`` the signed G2,
    rounded to 3 decimals. Groups without any counted word produce no rows.
    """
    groups, key = _segment_groups(project, options)
    per_group, corpus = _count(project, options, groups, key)
    corpus_total = sum(corpus.values())
    rows: list[dict[str, Any]] = []
    for name, counts in per_group.items():
        group_total = sum(counts.values())
        if group_total == 0:
            continue
        rest_total = corpus_total - group_total
        scored = []
        for word, count in counts.items():
            if count < options.min_count:
                continue
            rest_count = corpus[word] - count
            g2 = log_likelihood(count, rest_count, group_total, rest_total)
            scored.append((word, count, rest_count, g2))
        if options.keyness:
            scored.sort(key=lambda item: (-item[3], -item[1], item[0]))
        else:
            scored.sort(key=lambda item: (-item[1], item[0]))
        for rank, (word, count, rest_count, g2) in enumerate(scored[: options.top], start=1):
            rows.append(
                {
                    "group": name, "label": groups.labels.get(name, name), "rank": rank,
                    "word": word, "count": count,
                    "per_10k": round(count * 10_000 / group_total, 2),
                    "rest_count": rest_count, "keyness": round(g2, 3),
                }
            )  # fmt: skip
    return rows
