"""Keyword-assisted auto-coding: every rule of every code matched over a text in one pass.

:func:`compile_matcher` turns a codebook's :class:`~qualcode.models.CodeRules` into a
:class:`Matcher` once; :meth:`Matcher.match` then returns every rule that fires in a text as
:class:`~qualcode.models.Match` objects whose offsets point into the *original* text. The module
is pure (no database) so that it can be tested and benchmarked on its own;
``qualcode.autocode.runs`` runs it over stored segments.

How a text is matched (DESIGN.md section 5), so that a researcher can predict every hit:

- **Normalisation** (:mod:`qualcode.autocode.normalise`). Text and rules are compared after
  Unicode NFKC and case folding (:func:`~qualcode.autocode.normalise.normalise`): full-width
  ``ＷｅＣｈａｔ１２３，`` equals ``wechat123,``, half-width katakana equals full-width, ``ﬁ``
  equals ``fi``. Offsets still point into the original text: the normalised text carries a
  map back to it (:func:`~qualcode.autocode.normalise.normalise_with_origins`). A hit that
  would start or end *inside* the expansion of one original character (``株`` inside ``㈱``)
  cannot be pointed at and is not reported.
- **Line breaks inside a paragraph do not hide words** (:mod:`qualcode.text.folding`). A line
  break with the spaces around it counts as nothing between two Chinese (or Japanese)
  characters and as one space elsewhere, in texts and in rules alike: ``网格员`` is found in
  ``主要靠网`` / ``格员`` on two subtitle lines, ``grid worker`` in ``grid`` / ``worker``. The
  hit's offsets still point into the original text and cover the line break
  (``网\n格员``), never a line break at its edges. A blank line (two line breaks or more)
  stays a break: nothing is found across paragraphs.
- **Keywords** of all codes are found in one Aho-Corasick pass. Where keywords overlap, the
  leftmost and then the longest wins, across codes: a text with ``印度尼西亚`` yields only the
  code of that keyword, not the code of ``印度``. The same keyword in two codes fires both.
- **Whole words.** An edge of a keyword that is a letter or digit of a spaced script (Latin,
  Greek, Cyrillic ...) must not touch another such letter or digit in the text: ``grid`` is not
  found in ``gridlock`` but is in ``grid-based`` and in ``网格grid管理`` (Chinese, Japanese and
  Korean characters count as boundaries, since mixed text often has no spaces). Edges that are
  Chinese characters or punctuation are matched on characters, with no boundary check.
- **Prefixes** (a dictionary's ``protect*``, stored as ``protect``) are keywords open at the
  end: they take part in the same pass and the same longest-match contest, with the
  whole-word rule at the start only, and a hit runs on to the end of the word it starts
  (``protection``, ``Protective``). A prefix ending in a Chinese character extends over
  nothing and matches on characters, like any Chinese keyword. Their hits record the rule
  kind ``keyword`` and the rule as written with its star, ``protect*``. The same word can be
  a keyword of one code and a prefix of another: each fires where its own rule holds.
- **Exclusions.** An ``exclude`` phrase found in the text (with the same whole-word rule)
  vetoes every hit of its code that it overlaps: keyword, pattern or lemma. A vetoed keyword
  takes no part in the longest-match contest, so another code's keyword at the same place
  still fires.
- **Patterns** are Python regular expressions, searched case-insensitively in the *normalised*
  text (write half-width forms and lower case; ``\\d`` also matches full-width digits, since
  they are normalised). Each pattern fires independently of keywords and of other patterns;
  empty matches are skipped.
- **Proximity rules** (``all_of``, ``near``) fire when all their terms occur together: in the
  same sentence (``all_of`` by default; sentences end at ``。！？；``, a blank line, ``……``
  and an English full stop before a space; a single line break is folded away, above) or
  with at most ``within`` characters between them (``near`` pairs: 10 unless the codebook
  says otherwise), in any order. Terms are found like
  keywords (normalised, whole words, every occurrence, but outside the longest-match contest:
  a term inside a longer keyword still counts). Each sentence (or each stretch of text, left
  to right, not overlapping) fires a rule at most once, with the first occurrence of each
  term. The hit runs from the first term's start to the last term's end, and
  :attr:`~qualcode.models.Match.spans` keeps each term's own span. An exclusion phrase of the
  code that overlaps any term vetoes the hit.
- **Lemmas** are English: every form that spaCy's English lookup table (from
  ``spacy-lookups-data``) maps to the lemma, and the lemma itself, is matched like a keyword
  (whole words, longest match), so ``rumour`` finds ``rumours`` and ``Rumoured``. Lookup is
  case-insensitive.

Limitations, written down: keywords are literal, so ``grid  worker`` (two spaces on one
line) does not match ``grid worker``; patterns are not normalised themselves (``ß`` in a
pattern never matches, since text ``ß`` is folded to ``ss``; ``\n`` matches only a blank
line's breaks, since single line breaks are folded); Thai, Lao and similar unspaced scripts count
as word characters for the whole-word rule.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import ahocorasick_rs

from qualcode.autocode.normalise import (
    SEPARATOR,
    NormalisedChunk,
    NormalisedText,
    character_class,
    normalise,
    normalise_many,
    normalise_with_origins,
)
from qualcode.errors import QualcodeError, UsageError
from qualcode.models import CodeRules, Match, Proximity
from qualcode.models import RuleKind as RuleKind
from qualcode.text.patterns import backtracking_problem

#: What fires when a literal or pattern is found: (code_id, rule_kind, rule as written).
Target = tuple[str, RuleKind, str]

#: A hit in normalised coordinates, before it is mapped back: (start, end, target).
_Hit = tuple[int, int, Target]

#: Scripts written without spaces between words, whose characters therefore act as word
#: boundaries for Latin keywords: Han (all blocks, compatibility ideographs, radicals), kana,
#: Hangul and Bopomofo. A Korean particle written straight after "WiFi" leaves it a word.
UNSPACED_SCRIPT_RANGES: tuple[tuple[int, int], ...] = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x2FDF),  # CJK and Kangxi radicals
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3031, 0x3035),  # kana repeat marks
    (0x3038, 0x303C),
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x3130, 0x318F),  # Hangul Compatibility Jamo
    (0x31A0, 0x31BF),  # Bopomofo Extended
    (0x31F0, 0x31FF),  # Katakana Phonetic Extensions
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xA960, 0xA97F),  # Hangul Jamo Extended-A
    (0xAC00, 0xD7FF),  # Hangul Syllables, Jamo Extended-B
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0xFF66, 0xFFDC),  # half-width katakana and Hangul
    (0x1B000, 0x1B16F),  # kana supplements
    (0x20000, 0x323AF),  # CJK Extensions B to I, compatibility supplement
)

#: A letter, digit or underscore of a spaced script: what a whole word may not touch.
_WORD_CHARACTER = re.compile(f"[^\\W{character_class(UNSPACED_SCRIPT_RANGES)}]")
#: The rest of a word: how far a prefix hit runs on.
_WORD_REST = re.compile(f"[^\\W{character_class(UNSPACED_SCRIPT_RANGES)}]*")


# --------------------------------------------------------------------------------------------
# English lemma forms


@functools.cache
def _english_lemma_table() -> dict[str, list[str]]:
    """Lemma -> its forms, from spaCy's English lookup table, case folded; loaded once.

    The table is the one spaCy reads: the ``en`` entry point of the ``spacy_lookups`` group
    that the ``spacy-lookups-data`` package declares, and its ``lemma_lookup`` JSON file (or
    that file gzipped), as ``spacy.util.load_language_data`` finds it. It is read here without
    importing spaCy, which (with numpy, thinc and pydantic) costs about a second of CPU that
    auto-coding a small project would otherwise spend before matching anything. It is
    inverted, so that lemma rules can join the keyword automaton instead of lemmatising every
    token of every segment.
    """
    import gzip
    import json
    from importlib.metadata import entry_points
    from pathlib import Path

    found = list(entry_points(group="spacy_lookups", name="en"))
    if not found:
        raise QualcodeError(
            "English lemma lookup table not found: install the spacy-lookups-data package"
        )
    table_file = Path(str(found[0].load()["lemma_lookup"]))
    if table_file.exists():
        text = table_file.read_text(encoding="utf-8")
    else:
        compressed = table_file.with_suffix(table_file.suffix + ".gz")
        text = gzip.decompress(compressed.read_bytes()).decode("utf-8")
    lookup: dict[str, str] = json.loads(text)
    forms_by_lemma: dict[str, list[str]] = {}
    for form, lemma in lookup.items():
        forms_by_lemma.setdefault(normalise(lemma), []).append(normalise(form))
    return forms_by_lemma


def english_lemma_forms(lemma: str) -> list[str]:
    """The normalised words that match ``lemma``: the lemma itself and every listed form."""
    normalised_lemma = normalise(lemma)
    forms = [normalised_lemma, *_english_lemma_table().get(normalised_lemma, ())]
    return list(dict.fromkeys(forms))


# --------------------------------------------------------------------------------------------
# The compiled matcher


def _edge_checks(literal: str) -> tuple[bool, bool]:
    """Whether the start and the end of a normalised literal need a whole-word check."""
    return (
        _WORD_CHARACTER.match(literal) is not None,
        _WORD_CHARACTER.match(literal, len(literal) - 1) is not None,
    )


class _LiteralSet:
    """Normalised literals (keywords, lemma forms or exclusions) and what each one fires.

    Two automata over the same literals: leftmost-longest for the normal one-pass search,
    and standard (all overlapping occurrences) for the rare texts where a leftmost-longest
    hit must be thrown away and the contest has to be rerun without it.
    """

    def __init__(self) -> None:
        self.literals: list[str] = []
        self.targets: list[list[Target]] = []
        self.edge_checks: list[tuple[bool, bool]] = []
        self.needs_check: list[bool] = []
        #: Per literal: whether some target is a prefix (open at the end); those literals
        #: are resolved target by target (:meth:`spans`).
        self.has_prefix: list[bool] = []
        self.prefix_targets: set[Target] = set()
        self._index: dict[str, int] = {}
        self.longest: ahocorasick_rs.AhoCorasick | None = None
        self.overlapping: ahocorasick_rs.AhoCorasick | None = None

    def add(self, literal: str, target: Target, *, open_end: bool = False) -> None:
        """Let ``literal`` fire ``target``; a code fires at most once per literal (once as a
        keyword and once as a prefix). ``open_end``: ``target`` is a prefix."""
        if not literal:
            return
        index = self._index.get(literal)
        if index is None:
            index = self._index[literal] = len(self.literals)
            self.literals.append(literal)
            self.targets.append([])
            self.edge_checks.append(_edge_checks(literal))
            self.needs_check.append(any(self.edge_checks[-1]))
            self.has_prefix.append(False)
        if all(
            existing[0] != target[0] or (existing in self.prefix_targets) != open_end
            for existing in self.targets[index]
        ):
            self.targets[index].append(target)
            if open_end:
                self.prefix_targets.add(target)
                self.has_prefix[index] = True

    def build(self) -> None:
        """Compile the automata; call once, after the last :meth:`add`."""
        if not self.literals:
            return
        for targets in self.targets:
            targets.sort(key=lambda target: (target[0], target[1], target[2]))
        self.longest = ahocorasick_rs.AhoCorasick(
            self.literals, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
        )
        self.overlapping = ahocorasick_rs.AhoCorasick(self.literals)

    def texts_in(self, chunk: NormalisedChunk) -> set[int]:
        """Texts of ``chunk`` in which some literal occurs (one search for the chunk)."""
        if self.overlapping is None:
            return set()
        return {
            chunk.index_of(start)
            for _index, start, _end in self.overlapping.find_matches_as_indexes(
                chunk.text, overlapping=True
            )
        }

    def is_whole_word(self, text: str, literal_index: int, start: int, end: int) -> bool:
        """Whether a hit at ``[start, end)`` of normalised ``text`` touches no word character
        at an edge that must be a word boundary (a newline between texts is a boundary)."""
        check_start, check_end = self.edge_checks[literal_index]
        if check_start and start > 0 and _WORD_CHARACTER.match(text, start - 1):
            return False
        return not (check_end and end < len(text) and _WORD_CHARACTER.match(text, end))

    def spans(
        self,
        text: str,
        literal_index: int,
        start: int,
        end: int,
        targets: Sequence[Target],
        mapping: NormalisedText | None = None,
    ) -> list[_Hit] | None:
        """The hits of ``targets`` of a literal that has prefix targets, found at
        ``[start, end)`` of normalised ``text``; ``None`` when none of them fires there.

        The start must be a word boundary where the literal's start needs one. A keyword
        target needs a boundary at ``end`` too; a prefix target fires regardless and its hit
        runs on over the word characters after ``end`` (if the literal ends in one). With
        ``mapping`` (``text`` is that one normalised text, with its offset maps), a hit whose
        ends do not map back is dropped.
        """
        check_start, check_end = self.edge_checks[literal_index]
        if check_start and start > 0 and _WORD_CHARACTER.match(text, start - 1):
            return None
        extended = end
        if check_end:
            rest = _WORD_REST.match(text, end)  # always matches, perhaps empty
            if rest is not None:
                extended = rest.end()
        prefixes = self.prefix_targets
        hits: list[_Hit] = [
            (start, extended, target) if target in prefixes else (start, end, target)
            for target in targets
            if extended == end or target in prefixes
        ]
        if mapping is not None and mapping.origins is not None:
            hits = [hit for hit in hits if mapping.original_span(hit[0], hit[1]) is not None]
        return hits or None

    def is_valid(
        self, normalised: NormalisedText, literal_index: int, start: int, end: int
    ) -> bool:
        """Whether a hit is a whole word where it must be, and maps back to original offsets."""
        if not self.is_whole_word(normalised.text, literal_index, start, end):
            return False
        return normalised.origins is None or normalised.original_span(start, end) is not None


@dataclass(frozen=True, slots=True)
class _CompiledPattern:
    """One distinct regular expression and the codes it fires."""

    regex: re.Pattern[str]
    targets: tuple[Target, ...]


#: Where a sentence ends in normalised text (full-width ！？； are already half-width there;
#: ``……`` is six dots).
_SENTENCE_END = re.compile(r"[。!?;\n]|\.{6}|\.(?=\s|$)")


class _ProximityRules:
    """The ``all_of`` and ``near`` rules of a codebook: their terms in one automaton (all
    occurrences, overlapping), and per rule which terms it needs."""

    def __init__(self, rules: Sequence[CodeRules]) -> None:
        self.terms = _LiteralSet()
        self.rules: list[tuple[str, Proximity, tuple[int, ...]]] = []
        index_of: dict[str, int] = {}
        for code in rules:
            for rule in code.proximity:
                indexes = []
                for term in rule.terms:
                    normalised = normalise(term)
                    if normalised not in index_of:
                        index_of[normalised] = len(index_of)
                        self.terms.add(normalised, (code.code_id, rule.kind, term))
                    indexes.append(index_of[normalised])
                self.rules.append((code.code_id, rule, tuple(indexes)))
        self.terms.build()
        self.code_ids = frozenset(code_id for code_id, _rule, _indexes in self.rules)

    def texts_with_terms(self, chunk: NormalisedChunk) -> set[int]:
        """Texts of ``chunk`` in which some term occurs (one search for the chunk)."""
        return self.terms.texts_in(chunk)

    def matches(
        self, normalised: NormalisedText, vetoes: Callable[[], dict[str, list[tuple[int, int]]]]
    ) -> list[Match]:
        """Every proximity rule that fires in ``normalised``, with original offsets."""
        automaton = self.terms.overlapping
        if automaton is None:
            return []
        occurrences: dict[int, list[tuple[int, int]]] = {}
        for term_index, start, end in automaton.find_matches_as_indexes(
            normalised.text, overlapping=True
        ):
            if self.terms.is_valid(normalised, term_index, start, end):
                occurrences.setdefault(term_index, []).append((start, end))
        if not occurrences:
            return []
        sentence_starts: list[int] | None = None
        code_vetoes: dict[str, list[tuple[int, int]]] | None = None
        matches: list[Match] = []
        for code_id, rule, term_indexes in self.rules:
            if any(index not in occurrences for index in term_indexes):
                continue
            term_occurrences = [occurrences[index] for index in term_indexes]
            if rule.within is None:
                if sentence_starts is None:
                    sentence_starts = [0] + [
                        found.end() for found in _SENTENCE_END.finditer(normalised.text)
                    ]
                groups = _together_in_sentences(term_occurrences, sentence_starts)
            else:
                groups = _together_within(term_occurrences, rule.within)
            for spans in groups:
                if code_vetoes is None:
                    code_vetoes = vetoes()
                if any(_is_vetoed(code_id, start, end, code_vetoes) for start, end in spans):
                    continue
                original = [normalised.original_span(start, end) for start, end in spans]
                if any(span is None for span in original):
                    continue
                mapped = tuple(sorted(span for span in original if span is not None))
                matches.append(
                    Match(
                        code_id,
                        rule.kind,
                        rule.describe(),
                        mapped[0][0],
                        max(end for _start, end in mapped),
                        mapped,
                    )
                )
        return matches


def _together_in_sentences(
    term_occurrences: list[list[tuple[int, int]]], sentence_starts: list[int]
) -> list[list[tuple[int, int]]]:
    """Per sentence holding every term: the first occurrence of each, in sentence order."""
    first_in_sentence: list[dict[int, tuple[int, int]]] = []
    for occurrences in term_occurrences:
        firsts: dict[int, tuple[int, int]] = {}
        for span in occurrences:
            firsts.setdefault(bisect.bisect_right(sentence_starts, span[0]) - 1, span)
        first_in_sentence.append(firsts)
    shared = set(first_in_sentence[0]).intersection(*first_in_sentence[1:])
    return [[firsts[sentence] for firsts in first_in_sentence] for sentence in sorted(shared)]


def _together_within(
    term_occurrences: list[list[tuple[int, int]]], within: int
) -> list[list[tuple[int, int]]]:
    """Left to right, not overlapping: stretches holding every term with at most ``within``
    characters between them. Each stretch starts at an occurrence and takes the earliest
    occurrence of every other term from there, which makes it the shortest starting there."""
    anchors = sorted(
        (span, term) for term, occurrences in enumerate(term_occurrences) for span in occurrences
    )
    groups: list[list[tuple[int, int]]] = []
    free_from = 0
    for (anchor_start, anchor_end), anchor_term in anchors:
        if anchor_start < free_from:
            continue
        chosen: list[tuple[int, int]] = []
        for term, occurrences in enumerate(term_occurrences):
            if term == anchor_term:
                chosen.append((anchor_start, anchor_end))
                continue
            later = [span for span in occurrences if span[0] >= anchor_start]
            if not later:
                break
            chosen.append(later[0])
        else:
            end = max(span_end for _span_start, span_end in chosen)
            between = (
                end - anchor_start - sum(span_end - span_start for span_start, span_end in chosen)
            )
            if between <= within:
                groups.append(chosen)
                free_from = end
    return groups


#: How many characters :meth:`Matcher.match_many` joins into one search (about 1 MB of text).
_CHUNK_CHARACTERS = 262_144

#: Syntax that refers to a group by number or name; such a pattern cannot be joined into the
#: combined prefilter, where the numbers of its groups would shift.
_GROUP_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")
#: Syntax whose match depends on what lies outside the matched text (anchors, lookarounds,
#: word boundaries). Conservative: ``[^...]`` also counts, and sends the patterns text by text.
_NON_LOCAL_SYNTAX = re.compile(r"\^|\$|\\[AZbBG]|\(\?<?[=!]")
#: Inline flags at the start of a pattern apply to the whole pattern and cannot be joined.
_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


class Matcher:
    """All the automatic-coding rules of a codebook, compiled for fast repeated matching.

    Build it once with :func:`compile_matcher` and call :meth:`match` per text. The counts
    say what was compiled: ``keyword_count`` and ``lemma_count`` count (code, rule) pairs,
    ``pattern_count`` distinct (code, pattern) pairs, ``code_count`` the codes with rules.
    """

    def __init__(self, rules: Sequence[CodeRules]) -> None:
        self._literals = _LiteralSet()
        self._exclusions = _LiteralSet()
        self._patterns: list[_CompiledPattern] = []
        self._prefilter: re.Pattern[str] | None = None
        self._chunk_prefilter: re.Pattern[str] | None = None
        self._prefiltered_patterns: list[_CompiledPattern] = []
        self._unfiltered_patterns: list[_CompiledPattern] = []
        self.keyword_count = sum(len(code.keywords) + len(code.prefixes) for code in rules)
        self.pattern_count = sum(len(code.patterns) for code in rules)
        self.lemma_count = sum(len(code.lemmas) for code in rules)
        self.code_count = sum(
            1
            for code in rules
            if code.keywords or code.prefixes or code.patterns or code.lemmas or code.proximity
        )
        self.proximity_count = sum(len(code.proximity) for code in rules)
        self._add_literals(rules)
        self._add_patterns(rules)
        self._proximity = _ProximityRules(rules) if self.proximity_count else None
        self._literals_span_lines = any(
            SEPARATOR in literal
            for literal in (
                *self._literals.literals,
                *self._exclusions.literals,
                *(self._proximity.terms.literals if self._proximity else ()),
            )
        )
        self._codes_with_exclusions = frozenset(code.code_id for code in rules if code.exclude)
        self._excludable_literals = frozenset(
            index
            for index, targets in enumerate(self._literals.targets)
            if any(target[0] in self._codes_with_exclusions for target in targets)
        )

    def _add_literals(self, rules: Sequence[CodeRules]) -> None:
        """Keywords and prefixes first, then lemma forms, so a keyword wins a tie within one
        code. A prefix's rule is recorded as written in a dictionary, with its ``*``."""
        for code in rules:
            for keyword in code.keywords:
                self._literals.add(normalise(keyword), (code.code_id, "keyword", keyword))
            for prefix in code.prefixes:
                self._literals.add(
                    normalise(prefix), (code.code_id, "keyword", prefix + "*"), open_end=True
                )
            for phrase in code.exclude:
                self._exclusions.add(normalise(phrase), (code.code_id, "keyword", phrase))
        for code in rules:
            for lemma in code.lemmas:
                for form in english_lemma_forms(lemma):
                    self._literals.add(form, (code.code_id, "lemma", lemma))
        self._literals.build()
        self._exclusions.build()

    def _add_patterns(self, rules: Sequence[CodeRules]) -> None:
        """Compile each distinct pattern once, and join the joinable ones into a prefilter."""
        targets_by_pattern: dict[str, list[Target]] = {}
        for code in rules:
            for pattern in code.patterns:
                targets = targets_by_pattern.setdefault(pattern, [])
                if all(target[0] != code.code_id for target in targets):
                    targets.append((code.code_id, "pattern", pattern))
        for pattern, targets in targets_by_pattern.items():
            try:
                regex = re.compile(pattern, re.IGNORECASE)
            except (re.error, OverflowError, RecursionError) as error:
                raise UsageError(
                    f"code {targets[0][0]}: pattern {pattern!r} is not a valid regular "
                    f"expression: {error}"
                ) from error
            # A codebook loaded before patterns were checked for catastrophic backtracking
            # may still hold one: refuse the run rather than hang on one segment.
            problem = backtracking_problem(pattern)
            if problem is not None:
                raise UsageError(f"code {targets[0][0]}: {problem}; load a corrected codebook")
            compiled = _CompiledPattern(regex, tuple(targets))
            self._patterns.append(compiled)
            if _GROUP_REFERENCE.search(pattern) or _GLOBAL_FLAGS.match(pattern):
                self._unfiltered_patterns.append(compiled)
            else:
                self._prefiltered_patterns.append(compiled)
        self._prefilter = self._combined_prefilter()
        self._chunk_prefilter = (
            self._prefilter
            if not self._unfiltered_patterns
            and all(
                _NON_LOCAL_SYNTAX.search(compiled.regex.pattern) is None
                for compiled in self._prefiltered_patterns
            )
            else None
        )

    def _combined_prefilter(self) -> re.Pattern[str] | None:
        """One regex that matches somewhere exactly when one of the joinable patterns does.

        Most texts match no pattern; one search of the alternation then replaces a search per
        pattern. Patterns that cannot be joined (duplicate group names) are searched alone.
        """
        if len(self._prefiltered_patterns) < 2:
            self._unfiltered_patterns.extend(self._prefiltered_patterns)
            self._prefiltered_patterns = []
            return None
        alternation = "|".join(
            f"(?:{compiled.regex.pattern})" for compiled in self._prefiltered_patterns
        )
        try:
            return re.compile(alternation, re.IGNORECASE)
        except (re.error, OverflowError, RecursionError):
            self._unfiltered_patterns.extend(self._prefiltered_patterns)
            self._prefiltered_patterns = []
            return None

    # ----------------------------------------------------------------------------------------

    def match(self, text: str) -> list[Match]:
        """Every rule that fires in ``text``, sorted by ``(start_char, code_id)``.

        Offsets are code points into ``text`` itself (not its normalised form). A code may
        fire several times; the caller decides how to aggregate.
        """
        normalised = normalise_with_origins(text)
        hits = self._literal_hits(normalised)
        if self._patterns:
            pattern_hits = self._pattern_hits(normalised)
            if pattern_hits:
                hits.extend(self._without_vetoed(normalised, pattern_hits))
        if self._proximity is not None:
            near = self._proximity.matches(normalised, functools.partial(self._vetoes, normalised))
            if near:
                matches = _to_matches(normalised, hits) + near
                matches.sort(key=_match_order)
                return matches
        if not hits:
            return []
        return _to_matches(normalised, hits)

    def match_many(self, texts: Iterable[str]) -> Iterator[list[Match]]:
        """:meth:`match` for each text, in order, with the same results, faster.

        Texts are matched in chunks: a chunk's normalised texts are joined with newlines and
        searched for keywords and lemmas in one automaton pass, so the per-call cost of the
        automaton is paid once per chunk instead of once per text. A newline occurs in no
        keyword, so no hit spans two texts, and leftmost-longest search restarts after each
        hit, so every text gets the hits :meth:`match` finds. Patterns are searched text by
        text, since anchors and lookarounds see the edges of the text they are given.
        """
        if self._literals_span_lines:
            yield from map(self.match, texts)
            return
        chunk: list[str] = []
        size = 0
        for text in texts:
            chunk.append(text)
            size += len(text) + 1
            if size >= _CHUNK_CHARACTERS:
                yield from self._match_chunk(chunk)
                chunk, size = [], 0
        if chunk:
            yield from self._match_chunk(chunk)

    def _match_chunk(self, texts: list[str]) -> list[list[Match]]:
        """:meth:`match` for each of ``texts``, with one normalisation and search for all.

        The hits of the joined search are handed back to their texts, where whole-word
        checks, vetoes and the rare rerun of the longest-match contest happen exactly as in
        :meth:`match`. Patterns run only on the texts the chunk-wide prefilter points at.
        """
        chunk = normalise_many(texts)
        results: list[list[Match]] = [[] for _ in texts]
        if self._literals.longest is not None:
            self._literal_matches_in_chunk(chunk, results)
        if self._patterns:
            for text_index in self._pattern_candidates(chunk):
                normalised = chunk.text_at(text_index)
                pattern_hits = self._pattern_hits(normalised)
                if pattern_hits:
                    matches = results[text_index]
                    matches.extend(
                        _to_matches(normalised, self._without_vetoed(normalised, pattern_hits))
                    )
                    matches.sort(key=_match_order)
        if self._proximity is not None:
            for text_index in sorted(self._proximity.texts_with_terms(chunk)):
                normalised = chunk.text_at(text_index)
                near = self._proximity.matches(
                    normalised, functools.partial(self._vetoes, normalised)
                )
                if near:
                    results[text_index].extend(near)
                    results[text_index].sort(key=_match_order)
        return results

    def _literal_matches_in_chunk(self, chunk: NormalisedChunk, results: list[list[Match]]) -> None:
        """Keyword and lemma matches of every text of ``chunk``, into ``results``.

        One pass over the chunk's leftmost-longest hits. A hit that is a whole word where it
        must be, in a text without exclusion phrases, at offsets that map back, becomes a
        match on the spot. Any other hit sends its text to the per-text path of
        :meth:`match`, which redoes that text from scratch (the longest-match contest may
        have to be rerun there).
        """
        literals = self._literals
        assert literals.longest is not None
        starts, own = chunk.starts, chunk.own
        last_text = len(starts) - 1
        with_exclusions = self._texts_with_exclusions(chunk)
        targets_of, needs_check = literals.targets, literals.needs_check
        has_prefix = literals.has_prefix
        redo: set[int] = set()
        text_index, text_start, next_start = -1, 0, -1
        origins: list[int] | None = None
        ends: list[int] | None = None
        matches: list[Match] = []
        for literal_index, start, end in literals.longest.find_matches_as_indexes(chunk.text):
            if start >= next_start:
                text_index = bisect.bisect_right(starts, start) - 1
                text_start = starts[text_index]
                next_start = starts[text_index + 1] if text_index < last_text else len(chunk.text)
                normalised = own[text_index]
                origins = normalised.origins if normalised is not None else None
                ends = normalised.end_origins if normalised is not None else None
                matches = results[text_index]
                if text_index in with_exclusions:
                    redo.add(text_index)
            if text_index in redo:
                continue
            if has_prefix[literal_index]:
                if not self._add_prefix_matches(
                    chunk.text, literal_index, start, end, text_start, own[text_index], matches
                ):
                    redo.add(text_index)
                continue
            if needs_check[literal_index] and not literals.is_whole_word(
                chunk.text, literal_index, start, end
            ):
                redo.add(text_index)
                continue
            start, end = start - text_start, end - text_start
            if origins is not None and ends is not None:
                start, end = origins[start], ends[end]
                if start < 0 or end < 0:
                    redo.add(text_index)
                    continue
            for code_id, rule_kind, rule in targets_of[literal_index]:
                matches.append(Match(code_id, rule_kind, rule, start, end))
        for index in redo:
            normalised = chunk.text_at(index)
            hits = self._literal_hits(normalised, index in with_exclusions)
            results[index] = _to_matches(normalised, hits) if hits else []

    def _add_prefix_matches(
        self,
        text: str,
        literal_index: int,
        start: int,
        end: int,
        text_start: int,
        normalised: NormalisedText | None,
        matches: list[Match],
    ) -> bool:
        """Matches of a literal with prefix targets, found in a chunk, into ``matches``;
        false (nothing added) when the text must be redone on its own."""
        literals = self._literals
        spans = literals.spans(text, literal_index, start, end, literals.targets[literal_index])
        if spans is None:
            return False
        found: list[Match] = []
        for span_start, span_end, (code_id, rule_kind, rule) in spans:
            span_start, span_end = span_start - text_start, span_end - text_start
            if normalised is not None:
                mapped = normalised.original_span(span_start, span_end)
                if mapped is None:
                    return False
                span_start, span_end = mapped
            found.append(Match(code_id, rule_kind, rule, span_start, span_end))
        matches.extend(found)
        return True

    def _texts_with_exclusions(self, chunk: NormalisedChunk) -> set[int]:
        """Texts of ``chunk`` holding some exclusion phrase (one search for the chunk)."""
        return self._exclusions.texts_in(chunk)

    def _pattern_candidates(self, chunk: NormalisedChunk) -> Iterable[int]:
        """Texts of ``chunk`` in which some pattern may match: all, unless all are local.

        A local pattern (no anchors, lookarounds or word boundaries) that matches inside a
        text also matches at the same place in the joined text, so a scan of the joined text
        finds a match overlapping every such text; the texts it overlaps are the candidates.
        """
        if self._chunk_prefilter is None:
            return range(len(chunk.starts))
        candidates: set[int] = set()
        for found in self._chunk_prefilter.finditer(chunk.text):
            first = chunk.index_of(found.start())
            last = chunk.index_of(max(found.start(), found.end() - 1))
            candidates.update(range(first, last + 1))
        return sorted(candidates)

    def _literal_hits(
        self, normalised: NormalisedText, may_have_exclusions: bool = True
    ) -> list[_Hit]:
        """Keyword and lemma hits that fire in ``normalised`` (see ``_resolve_literal_hits``)."""
        if self._literals.longest is None:
            return []
        literal_hits = self._literals.longest.find_matches_as_indexes(normalised.text)
        if not literal_hits:
            return []
        return self._resolve_literal_hits(normalised, literal_hits, may_have_exclusions)

    # ----------------------------------------------------------------------------------------

    def _resolve_literal_hits(
        self,
        normalised: NormalisedText,
        literal_hits: list[tuple[int, int, int]],
        may_have_exclusions: bool = True,
    ) -> list[_Hit]:
        """The keyword and lemma hits that fire, from the leftmost-longest search.

        When every leftmost-longest hit is a whole word and not vetoed, they are the answer.
        Otherwise a thrown-away hit may have hidden a shorter or later one that is good
        (``bold man`` hides ``man`` behind ``old man``), so the contest is rerun over all
        overlapping occurrences, after throwing away the bad ones. ``may_have_exclusions``
        false (the caller knows the text holds no exclusion phrase) skips the veto search.
        """
        literals = self._literals
        vetoes = self._vetoes_if_needed(normalised, literal_hits) if may_have_exclusions else None
        targets_of, needs_check = literals.targets, literals.needs_check
        always_check = normalised.origins is not None
        hits: list[_Hit] = []
        for literal_index, start, end in literal_hits:
            targets = targets_of[literal_index]
            if literals.has_prefix[literal_index]:
                spans = self._prefix_spans(normalised, literal_index, start, end, vetoes)
                if spans is None:
                    return self._rerun_contest(normalised, vetoes)
                hits.extend(spans)
                continue
            if vetoes:
                targets = _surviving_targets(targets, start, end, vetoes)
            if not targets or (
                (always_check or needs_check[literal_index])
                and not literals.is_valid(normalised, literal_index, start, end)
            ):
                return self._rerun_contest(normalised, vetoes)
            if len(targets) == 1:
                hits.append((start, end, targets[0]))
            else:
                hits.extend((start, end, target) for target in targets)
        return hits

    def _rerun_contest(
        self, normalised: NormalisedText, vetoes: dict[str, list[tuple[int, int]]] | None
    ) -> list[_Hit]:
        """Leftmost-longest over the good occurrences only (see :meth:`_resolve_literal_hits`)."""
        literals = self._literals
        assert literals.overlapping is not None
        occurrences = literals.overlapping.find_matches_as_indexes(
            normalised.text, overlapping=True
        )
        if vetoes is None:
            vetoes = self._vetoes_if_needed(normalised, occurrences)
        candidates: list[tuple[int, int, list[_Hit]]] = []
        for literal_index, start, end in occurrences:
            if literals.has_prefix[literal_index]:
                spans = self._prefix_spans(normalised, literal_index, start, end, vetoes)
                if spans is not None:
                    candidates.append((start, end, spans))
                continue
            if not literals.is_valid(normalised, literal_index, start, end):
                continue
            targets = _surviving_targets(literals.targets[literal_index], start, end, vetoes)
            if targets:
                candidates.append((start, end, [(start, end, target) for target in targets]))
        candidates.sort(key=lambda candidate: (candidate[0], -candidate[1]))
        hits: list[_Hit] = []
        taken_until = 0
        for start, end, spans in candidates:
            if start >= taken_until:
                hits.extend(spans)
                taken_until = end
        return hits

    def _prefix_spans(
        self,
        normalised: NormalisedText,
        literal_index: int,
        start: int,
        end: int,
        vetoes: dict[str, list[tuple[int, int]]] | None,
    ) -> list[_Hit] | None:
        """The hits of a literal with prefix targets in one text, less those an exclusion of
        their code overlaps; ``None`` when none is left."""
        literals = self._literals
        spans = literals.spans(
            normalised.text,
            literal_index,
            start,
            end,
            literals.targets[literal_index],
            normalised,
        )
        if spans is not None and vetoes:
            spans = [hit for hit in spans if not _is_vetoed(hit[2][0], hit[0], hit[1], vetoes)]
        return spans or None

    def _vetoes_if_needed(
        self, normalised: NormalisedText, literal_hits: list[tuple[int, int, int]]
    ) -> dict[str, list[tuple[int, int]]] | None:
        """Exclusion spans per code, searched only when a hit belongs to a code with any."""
        excludable = self._excludable_literals
        if not any(hit[0] in excludable for hit in literal_hits):
            return None
        return self._vetoes(normalised)

    def _vetoes(self, normalised: NormalisedText) -> dict[str, list[tuple[int, int]]]:
        """Every exclusion phrase in the text, as spans per code it vetoes (one pass)."""
        exclusions = self._exclusions
        vetoes: dict[str, list[tuple[int, int]]] = {}
        if exclusions.overlapping is None:
            return vetoes
        for exclusion_index, start, end in exclusions.overlapping.find_matches_as_indexes(
            normalised.text, overlapping=True
        ):
            if exclusions.is_valid(normalised, exclusion_index, start, end):
                for code_id, _kind, _rule in exclusions.targets[exclusion_index]:
                    vetoes.setdefault(code_id, []).append((start, end))
        return vetoes

    def _without_vetoed(self, normalised: NormalisedText, hits: list[_Hit]) -> list[_Hit]:
        """Pattern hits minus those an exclusion phrase of their code overlaps."""
        if not any(hit[2][0] in self._codes_with_exclusions for hit in hits):
            return hits
        vetoes = self._vetoes(normalised)
        return [hit for hit in hits if not _is_vetoed(hit[2][0], hit[0], hit[1], vetoes)]

    def _pattern_hits(self, normalised: NormalisedText) -> list[_Hit]:
        """Every non-empty, mappable match of every pattern in the normalised text."""
        text = normalised.text
        hits: list[_Hit] = []
        patterns: list[_CompiledPattern] = self._unfiltered_patterns
        if self._prefilter is not None and self._prefilter.search(text) is not None:
            patterns = self._prefiltered_patterns + patterns
        for compiled in patterns:
            for found in compiled.regex.finditer(text):
                start, end = found.span()
                if start == end or normalised.original_span(start, end) is None:
                    continue
                hits.extend((start, end, target) for target in compiled.targets)
        return hits


def _is_vetoed(
    code_id: str, start: int, end: int, vetoes: dict[str, list[tuple[int, int]]] | None
) -> bool:
    """Whether an exclusion span of ``code_id`` overlaps ``[start, end)``."""
    if not vetoes:
        return False
    spans = vetoes.get(code_id)
    return spans is not None and any(
        veto_start < end and start < veto_end for veto_start, veto_end in spans
    )


def _surviving_targets(
    targets: list[Target], start: int, end: int, vetoes: dict[str, list[tuple[int, int]]] | None
) -> list[Target]:
    """The targets of a literal hit whose code no exclusion vetoes there."""
    if not vetoes:
        return targets
    return [target for target in targets if not _is_vetoed(target[0], start, end, vetoes)]


def _to_matches(normalised: NormalisedText, hits: list[_Hit]) -> list[Match]:
    """Hits mapped back to original offsets, as sorted :class:`Match` objects."""
    matches: list[Match] = []
    for start, end, (code_id, rule_kind, rule) in hits:
        span = normalised.original_span(start, end)
        if span is not None:
            matches.append(Match(code_id, rule_kind, rule, span[0], span[1]))
    matches.sort(key=_match_order)
    return matches


def _match_order(match: Match) -> tuple[int, str, int, str, str]:
    """The order :meth:`Matcher.match` returns matches in: by start, then code."""
    return (match.start_char, match.code_id, match.end_char, match.rule_kind, match.rule)


def compile_matcher(rules: Sequence[CodeRules]) -> Matcher:
    """A :class:`Matcher` for ``rules`` (e.g. ``Codebook.rules()``), built once per run.

    Raises :class:`~qualcode.errors.UsageError` for a pattern that is not a valid regular
    expression (codebook validation normally catches it first). Loads spaCy's English lemma
    table only when some code has lemmas.
    """
    return Matcher(rules)
