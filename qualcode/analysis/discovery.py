"""Keyword discovery: words and phrases a coder's segments of a code use, ranked by keyness.

``qualcode codebook suggest CODE --coder NAME`` compares the segments that coder coded with
the code (or one of its sub-codes) against every other segment in the code's scope
(respondent turns by default), and lists the candidates the code's rules lack. What is
counted, so that a researcher can predict the list:

- **Candidates.** Chinese: jieba's words of each Han run (told the codebook's Chinese keywords,
  so the researcher's own terms stay whole) and every character 2-, 3- and 4-gram of the run,
  since keyword matching works on characters; stop words and Chinese numerals are left out.
  Line breaks inside a segment are folded first, as matching folds them
  (:mod:`qualcode.text.folding`), so a word cut across two subtitle lines is one candidate.
  English: each word's lemma from spaCy's lookup table (a ``lemma`` rule, which also finds
  the other forms) and every phrase of two or three consecutive words that neither starts nor
  ends with a stop word (a ``keyword`` rule). Candidates the code's rules already hold
  (normalised, as matching compares them) are left out.
- **Counts** are segments, not occurrences: ``coded`` segments of the code that contain the
  candidate, ``uncoded`` other in-scope segments that do.
- **Keyness** is the log-likelihood G2 (Dunning; computed as Rayson and Garside do, see
  :func:`qualcode.analysis.freq.log_likelihood`) of the candidate's segment counts, coded
  against uncoded; only candidates the coded segments use more often are listed. The effect
  size is the log ratio (Hardie 2014): log2 of the ratio of the two shares, with 0.5 in place
  of a zero count.
- **Would-be scores.** ``precision``, ``recall`` and ``f1`` are what ``agree --rules`` would
  report for the code against that coder if the candidate were added to its rules: on the
  segments the coder coded with anything, a segment counts as found when the code or one of
  its sub-codes fires there with the candidate added, the whole codebook matched as an
  auto-coding run matches it (so a candidate that loses the longest-match contest to another
  code's keyword finds nothing there). ``found_missed`` counts
  the coded segments the candidate finds that the rules miss.
- **Order.** By keyness, then coded count, then the candidate itself. Candidates with
  exactly the same segments as a shorter one they contain are left out (``人手一`` beside
  ``人手``), so a list is not ten slices of one sentence.

:func:`write_discoveries` adds chosen candidates (``--pick`` or ``--min-f1``) to the code in
the codebook file (:mod:`qualcode.codebook.rewrite`: comments and layout kept, each addition
noted with the date and the coder) and loads the file as a new version.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from qualcode.analysis.freq import codebook_terms, log_likelihood, stop_words
from qualcode.analysis.query import manual_coders, manual_codes_by_segment
from qualcode.autocode.matching import compile_matcher, english_lemma_forms
from qualcode.autocode.normalise import normalise
from qualcode.autocode.runs import select_rules
from qualcode.errors import InputError, NotFoundError, UsageError
from qualcode.models import CodeRules, Scope
from qualcode.store.codebooks import current_codebook
from qualcode.store.project import Project
from qualcode.store.runs import last_segment_id, segment_batches
from qualcode.text.folding import fold_line_breaks
from qualcode.text.language import HAN_CHARACTER_CLASS, LATIN_CHARACTER_CLASS

CandidateKind = Literal["word", "ngram", "lemma", "phrase"]
RuleList = Literal["keywords", "lemmas"]

#: Fields of one candidate row, in output order.
CANDIDATE_FIELDS = (
    "rank", "candidate", "kind", "rule", "coded", "uncoded", "keyness", "log_ratio",
    "found_missed", "precision", "recall", "f1",
)  # fmt: skip

_HAN_RUN = re.compile(f"[{HAN_CHARACTER_CLASS}]+")
_LATIN_WORD = re.compile(f"[{LATIN_CHARACTER_CLASS}]+(?:[-'][{LATIN_CHARACTER_CLASS}]+)*")
_CHINESE_NUMBER = re.compile("[〇零一二三四五六七八九十百千万亿两几]+")
_KIND_ORDER = {"word": 0, "lemma": 1, "phrase": 2, "ngram": 3}


@dataclass(frozen=True)
class DiscoveryOptions:
    """What ``qualcode codebook suggest`` ranks: candidates for ``code`` from ``coder``."""

    code: str
    coder: str | None = None
    top: int = 20

    def __post_init__(self) -> None:
        if self.top < 1:
            raise UsageError(f"--top must be at least 1, not {self.top}")


@dataclass(frozen=True)
class Candidate:
    """One candidate keyword or lemma with its evidence (module docstring)."""

    rank: int
    candidate: str
    kind: CandidateKind
    rule: RuleList
    coded: int
    uncoded: int
    keyness: float
    log_ratio: float
    found_missed: int
    precision: float | None
    recall: float | None
    f1: float | None

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CANDIDATE_FIELDS}


@dataclass
class DiscoveryReport:
    """Candidates for one code from one coder, and the code's scores as its rules stand."""

    code: str
    coder: str
    coded_segments: int
    uncoded_segments: int
    units: int
    precision: float | None
    recall: float | None
    f1: float | None
    candidates: list[Candidate] = field(default_factory=list)


@dataclass
class _Evidence:
    """Per candidate: what kind of candidate it is, which coded segments hold it, and how
    many uncoded ones do (with their ids where the count did not come from substrings)."""

    kind: CandidateKind
    segments: set[int] = field(default_factory=set)
    uncoded: int = 0
    uncoded_segments: set[int] | None = None


def discover_keywords(project: Project, options: DiscoveryOptions) -> DiscoveryReport:
    """Rank candidate keywords and lemmas for ``options.code`` (see the module docstring)."""
    codebook = current_codebook(project)
    code = codebook.get(options.code)
    coder = _resolve_coder(project, options.coder, code.code_id)
    subtree = {code.code_id, *(child.code_id for child in codebook.descendants(code.code_id))}
    coded_by_segment = manual_codes_by_segment(project.conn, coder)
    positives = {segment for segment, codes in coded_by_segment.items() if codes & subtree}
    if not positives:
        raise NotFoundError(
            f"coder '{coder}' coded no segment with '{code.code_id}' or its sub-codes: "
            "nothing to learn from"
        )
    scope = code.rules.scope
    texts = {
        segment_id: text
        for batch in segment_batches(project, 0, last_segment_id(project), [scope])
        for segment_id, role, _start, text in batch
        # In scope: every turn, the interviewer's, or everyone else's (no call per turn).
        if scope == "all" or (role == "interviewer") == (scope == "interviewer")
    }
    positives &= texts.keys()
    if not positives:
        raise NotFoundError(
            f"coder '{coder}' coded '{code.code_id}' only on segments outside its scope ({scope})"
        )
    user_words = codebook_terms(project)
    evidence = _evidence(texts, positives, user_words)
    known = _known_terms(select_rules(codebook, [code.code_id]) if code.has_rules else [])
    units = sorted(segment for segment in coded_by_segment if segment in texts)
    unit_texts = [texts[segment] for segment in units]
    all_rules = codebook.rules()
    found = _found_by_rules(all_rules, subtree, unit_texts, units)
    precision, recall, f1 = _scores(found, positives, units)
    report = DiscoveryReport(
        code=code.code_id,
        coder=coder,
        coded_segments=len(positives),
        uncoded_segments=len(texts) - len(positives),
        units=len(units),
        precision=precision,
        recall=recall,
        f1=f1,
    )
    ranked = _ranked(evidence, positives, len(texts), known)
    rest_texts = [text for segment, text in texts.items() if segment not in positives]
    ranked = _settle_kinds(ranked, rest_texts, options.top, user_words)
    for rank, (text, kind, coded, uncoded, keyness, log_ratio) in enumerate(
        ranked[: options.top], start=1
    ):
        rule_list: RuleList = "lemmas" if kind == "lemma" else "keywords"
        with_rules = _with_candidate(all_rules, code.code_id, code.rules.scope, rule_list, text)
        with_candidate = _found_by_rules(with_rules, subtree, unit_texts, units)
        scores = _scores(with_candidate, positives, units)
        report.candidates.append(
            Candidate(
                rank=rank,
                candidate=text,
                kind=kind,
                rule=rule_list,
                coded=coded,
                uncoded=uncoded,
                keyness=round(keyness, 3),
                log_ratio=round(log_ratio, 3),
                found_missed=len((with_candidate - found) & positives),
                precision=scores[0],
                recall=scores[1],
                f1=scores[2],
            )
        )
    return report


def _resolve_coder(project: Project, coder: str | None, code_id: str) -> str:
    """``coder``, checked; without it, the one manual coder of ``code_id`` if there is one."""
    coders = manual_coders(project.conn)
    if coder is not None:
        if coder not in coders:
            raise NotFoundError(
                f"no manual codings by coder '{coder}' (coders: {', '.join(coders) or 'none'})"
            )
        return coder
    if not coders:
        raise NotFoundError("no manual codings in the project: code some segments first")
    if len(coders) > 1:
        raise UsageError(
            f"several coders coded this project; choose one with --coder ({', '.join(coders)})"
        )
    return coders[0]


def _candidates(texts: dict[int, str], user_words: frozenset[str]) -> dict[str, _Evidence]:
    """Every candidate of every in-scope segment, with the segments that hold it."""
    from qualcode.analysis.freq import words_of

    chinese_stop = stop_words("zh")
    evidence: dict[str, _Evidence] = {}

    def add(candidate: str, kind: CandidateKind, segment_id: int) -> None:
        entry = evidence.get(candidate)
        if entry is None:
            entry = evidence[candidate] = _Evidence(kind)
        elif _KIND_ORDER[kind] < _KIND_ORDER[entry.kind]:
            entry.kind = kind
        entry.segments.add(segment_id)

    for segment_id, stored_text in texts.items():
        # A word cut by a line break inside the turn (subtitle lines) is still one word.
        text = fold_line_breaks(stored_text).text
        for word in words_of(text, user_words):
            if _HAN_RUN.fullmatch(word):
                if len(word) >= 2:
                    add(word, "word", segment_id)
            else:
                add(word.lower(), "lemma", segment_id)
        for run in _HAN_RUN.finditer(text):
            characters = run.group()
            for size in (2, 3, 4):
                for start in range(len(characters) - size + 1):
                    gram = characters[start : start + size]
                    if gram not in chinese_stop and not _CHINESE_NUMBER.fullmatch(gram):
                        add(gram, "ngram", segment_id)
        for phrase in _english_phrases(text):
            add(phrase, "phrase", segment_id)
    return evidence


def _evidence(
    texts: dict[int, str], positives: set[int], user_words: frozenset[str]
) -> dict[str, _Evidence]:
    """The candidates of the coded segments (``positives``), each with the coded segments
    that hold it and its count among the other in-scope segments.

    The candidates and their kinds come from the coded segments only (jieba runs on those);
    a candidate is then counted in the others as it would be found there, without segmenting
    them: a Chinese candidate of 2-4 characters (an n-gram wherever it occurs) by substring,
    all of them in one vectorised pass (:func:`_substring_counts`); a longer jieba word, or a
    numeral word that n-grams leave out, by segmenting only the segments that contain it;
    English lemmas and phrases from the segments with Latin letters.
    """
    from qualcode.analysis.freq import english_words_of, words_of

    evidence = _candidates({segment: texts[segment] for segment in sorted(positives)}, user_words)
    rest = [segment for segment in texts if segment not in positives]
    chinese_stop = stop_words("zh")
    by_substring: list[str] = []
    by_words: list[str] = []
    english: set[str] = set()
    for candidate in evidence:
        if not _HAN_RUN.fullmatch(candidate):
            english.add(candidate)
        elif (
            len(candidate) <= 4
            and candidate not in chinese_stop
            and not _CHINESE_NUMBER.fullmatch(candidate)
        ):
            by_substring.append(candidate)
        else:
            by_words.append(candidate)
    rest_texts = [texts[segment] for segment in rest]
    counts = _substring_counts(rest_texts, by_substring)
    for candidate, count in zip(by_substring, counts, strict=True):
        evidence[candidate].uncoded = count
    holding: dict[str, set[int]] = {}
    for candidate in (*by_words, *english):
        holding[candidate] = evidence[candidate].uncoded_segments = set()
    if by_words:
        import ahocorasick_rs
        import numpy as np

        # One search of the joined texts (line breaks between them: no word spans two)
        # finds the texts holding one of the words; only those are segmented.
        automaton = ahocorasick_rs.AhoCorasick(by_words)
        wanted = set(by_words)
        ends = np.cumsum(np.fromiter(map(len, rest_texts), dtype=np.int64, count=len(rest)) + 1)
        starts = [start for _, start, _ in automaton.find_matches_as_indexes("\n".join(rest_texts))]
        for index in np.unique(np.searchsorted(ends, starts, side="right")).tolist():
            for word in wanted.intersection(words_of(rest_texts[index], user_words)):
                holding[word].add(rest[index])
    if english:
        lemmas_of: dict[str, list[str]] = {}
        for segment, text in zip(rest, rest_texts, strict=True):
            if not _LATIN_WORD.search(text):
                continue
            outside = " ".join(_HAN_RUN.split(text))
            lemmas = lemmas_of.get(outside)
            if lemmas is None:
                lemmas = lemmas_of[outside] = [word.lower() for word in english_words_of(text)]
            for candidate in english.intersection((*lemmas, *_english_phrases(text))):
                holding[candidate].add(segment)
    for entry in evidence.values():
        if entry.uncoded_segments is not None:
            entry.uncoded = len(entry.uncoded_segments)
    return evidence


#: Segments per vectorised chunk of :func:`_substring_counts` (bounds its memory).
_CHUNK = 100_000
#: Key bits up to which :func:`_substring_counts` looks n-grams up in a table indexed by the
#: key itself (2**24 entries, 64 MB) rather than by binary search among the candidates' keys.
_DIRECT_KEY_BITS = 24


def _substring_counts(texts: Sequence[str], candidates: Sequence[str]) -> list[int]:
    """For each candidate (2-4 characters), how many of ``texts`` contain it.

    One pass per length with numpy instead of a Python loop per segment and n-gram: the
    candidates' characters get small ids (every other character 0), each window of the
    concatenated texts becomes one integer of its ids, windows are looked up among the
    candidates' integers, and (candidate, text) pairs are counted once.

    Where it is cheap the integers are 32 bits (a small alphabet: 8 bits a character for up
    to 255 distinct characters), and a length whose keys fit in :data:`_DIRECT_KEY_BITS` bits
    is looked up in a table indexed by the key, one memory read per window instead of a
    binary search; the others by binary search among the sorted keys. The (candidate, text)
    pairs of a chunk fit in 32 bits too (the chunk is cut to fit), so the sort that keeps
    each pair once moves half the bytes.
    """
    import numpy as np

    counts = np.zeros(len(candidates), dtype=np.int64)
    if not candidates or not texts:
        return [int(count) for count in counts]
    alphabet = sorted({character for candidate in candidates for character in candidate})
    bits = len(alphabet).bit_length()
    if bits * 4 > 63:  # more distinct characters than an integer holds: count one by one
        return [sum(candidate in text for text in texts) for candidate in candidates]
    key_type: Any = np.uint32 if bits * 4 <= 32 else np.uint64
    ids: Any = np.zeros(0x110000, dtype=key_type)
    ids[[ord(character) for character in alphabet]] = np.arange(1, len(alphabet) + 1)
    shift = key_type(bits)
    # Per length: a table from key to candidate index (-1: none), or the sorted keys and
    # the candidate index of each.
    by_length: dict[int, tuple[Any, Any]] = {}
    for length in (2, 3, 4):
        indexes = [i for i, candidate in enumerate(candidates) if len(candidate) == length]
        if not indexes:
            continue
        keys: Any = np.zeros(len(indexes), dtype=key_type)
        for position in range(length):
            keys = (keys << shift) | ids[[ord(candidates[i][position]) for i in indexes]]
        if bits * length <= _DIRECT_KEY_BITS:
            table = np.full(1 << (bits * length), -1, dtype=np.int32)
            table[keys] = indexes
            by_length[length] = (table, None)
        else:
            order = np.argsort(keys, kind="stable")
            by_length[length] = (keys[order], np.asarray(indexes, dtype=np.int32)[order])
    chunk = max(1, min(_CHUNK, (2**32 - 1) // len(candidates)))
    for start in range(0, len(texts), chunk):
        part = texts[start : start + chunk]
        joined = "\n".join(part) + "\n"
        window = ids[np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)]
        owner = np.repeat(
            np.arange(len(part), dtype=np.uint32),
            np.fromiter(map(len, part), dtype=np.int64, count=len(part)) + 1,
        )
        for length, (keys, indexes) in by_length.items():
            size = len(window) - length + 1
            if size <= 0:
                continue
            key: Any = window[:size].copy()
            for offset in range(1, length):
                key <<= shift
                key |= window[offset : offset + size]
            if indexes is None:
                found = keys[key]
                hits = np.flatnonzero(found >= 0)
                candidate = found[hits]
            else:
                found = np.searchsorted(keys, key)
                found[found == len(keys)] = 0
                hits = np.flatnonzero(keys[found] == key)
                candidate = indexes[found[hits]]
            texts_in_part = np.uint32(len(part))
            pairs = candidate.astype(np.uint32) * texts_in_part + owner[hits]
            pairs.sort()  # then keep each (candidate, text) once: faster than np.unique's hash
            if len(pairs):
                first = np.empty(len(pairs), dtype=bool)
                first[0] = True
                np.not_equal(pairs[1:], pairs[:-1], out=first[1:])
                pairs = pairs[first]
            counts += np.bincount(pairs // texts_in_part, minlength=len(candidates))
    return [int(count) for count in counts]


#: What may stand between two words of one English phrase: spaces, apostrophes, hyphens.
_PHRASE_GAP = re.compile(r"[\s'-]*")


def _english_phrases(text: str) -> Iterable[str]:
    """Two- and three-word phrases of consecutive English words (lower case) that neither
    start nor end with a stop word; a Chinese character or punctuation breaks a phrase.

    The words are found in the whole text at once; two neighbours belong to one phrase when
    only spaces, apostrophes or hyphens stand between them (the stretch of text a phrase may
    span)."""
    english_stop = stop_words("en")
    stretch: list[str] = []
    previous_end = -1
    for match in _LATIN_WORD.finditer(text):
        if previous_end >= 0 and not _PHRASE_GAP.fullmatch(text, previous_end, match.start()):
            yield from _phrases_of(stretch, english_stop)
            stretch = []
        stretch.append(match.group().lower())
        previous_end = match.end()
    yield from _phrases_of(stretch, english_stop)


def _phrases_of(words: list[str], english_stop: frozenset[str]) -> Iterable[str]:
    for size in (2, 3):
        for start in range(len(words) - size + 1):
            phrase = words[start : start + size]
            if phrase[0] not in english_stop and phrase[-1] not in english_stop:
                yield " ".join(phrase)


def _known_terms(rules: list[CodeRules]) -> set[str]:
    """What the code's rules already hold, normalised: keywords, lemmas and lemma forms."""
    known: set[str] = set()
    for rule in rules:
        known.update(normalise(keyword) for keyword in (*rule.keywords, *rule.prefixes))
        for lemma in rule.lemmas:
            known.update(english_lemma_forms(lemma))
        for proximity in rule.proximity:
            known.add(normalise(" + ".join(proximity.terms)))
    return known


def _found_by_rules(
    rules: list[CodeRules], subtree: set[str], texts: list[str], units: list[int]
) -> set[int]:
    """The units where the code (or a sub-code) fires when the whole codebook is matched,
    as an auto-coding run matches it: the longest-match contest across codes included."""
    if not any(rule.code_id in subtree for rule in rules):
        return set()
    matcher = compile_matcher(rules)
    return {
        segment_id
        for segment_id, matches in zip(units, matcher.match_many(texts), strict=True)
        if any(match.code_id in subtree for match in matches)
    }


def _with_candidate(
    rules: list[CodeRules], code_id: str, scope: Scope, rule_list: RuleList, candidate: str
) -> list[CodeRules]:
    """The codebook's rules with ``candidate`` added to ``code_id``'s keywords or lemmas."""
    added = False
    result: list[CodeRules] = []
    for rule in rules:
        if rule.code_id == code_id:
            rule = _added(rule, rule_list, candidate)
            added = True
        result.append(rule)
    if not added:
        result.append(_added(CodeRules(code_id, scope=scope), rule_list, candidate))
    return result


def _added(rule: CodeRules, rule_list: RuleList, candidate: str) -> CodeRules:
    if rule_list == "lemmas":
        return replace(rule, lemmas=(*rule.lemmas, candidate))
    return replace(rule, keywords=(*rule.keywords, candidate))


def _scores(
    found: set[int], positives: set[int], units: list[int]
) -> tuple[float | None, float | None, float | None]:
    """Precision, recall and F1 of ``found`` against ``positives`` on ``units``."""
    unit_set = set(units)
    predicted = found & unit_set
    reference = positives & unit_set
    true_positives = len(predicted & reference)
    false_positives = len(predicted - reference)
    misses = len(reference - predicted)

    def ratio(numerator: int, denominator: int) -> float | None:
        return round(numerator / denominator, 4) if denominator else None

    return (
        ratio(true_positives, true_positives + false_positives),
        ratio(true_positives, true_positives + misses),
        ratio(2 * true_positives, 2 * true_positives + false_positives + misses),
    )


def _ranked(
    evidence: dict[str, _Evidence], positives: set[int], in_scope: int, known: set[str]
) -> list[tuple[str, CandidateKind, int, int, float, float]]:
    """Candidates the coded segments overuse, best first, without redundant slices."""
    coded_total = len(positives)
    rest_total = in_scope - coded_total
    scored: list[tuple[str, CandidateKind, int, int, float, float]] = []
    for text, entry in evidence.items():
        coded = len(entry.segments & positives)
        if coded == 0 or normalise(text) in known:
            continue
        uncoded = entry.uncoded
        keyness = log_likelihood(coded, uncoded, coded_total, rest_total)
        if keyness <= 0:
            continue
        log_ratio = math.log2(
            ((coded or 0.5) / coded_total) / ((uncoded or 0.5) / max(rest_total, 1))
        )
        scored.append((text, entry.kind, coded, uncoded, keyness, log_ratio))
    listed = {row[0]: evidence[row[0]] for row in scored}
    kept = [row for row in scored if not _redundant(row[0], listed)]
    kept.sort(key=lambda row: (-row[4], -row[2], _KIND_ORDER[row[1]], row[0]))
    return kept


def _settle_kinds(
    ranked: list[tuple[str, CandidateKind, int, int, float, float]],
    rest_texts: list[str],
    top: int,
    user_words: frozenset[str],
) -> list[tuple[str, CandidateKind, int, int, float, float]]:
    """The ranking with the kind of each Chinese n-gram that can be listed made exact.

    A Chinese candidate is a ``word`` when jieba makes it a word in any in-scope segment,
    an ``ngram`` otherwise; :func:`_evidence` only segmented the coded ones. The kind shows in
    the list and breaks ties, so for the candidates down to the last one tied with the
    ``top``-th, the uncoded segments' Chinese runs that contain an n-gram are segmented
    (each distinct run once) until one makes it a word (:func:`_words_among_runs`).
    """
    if len(ranked) > top:
        boundary = ranked[top - 1][4], ranked[top - 1][2]
        listed = top
        while listed < len(ranked) and (ranked[listed][4], ranked[listed][2]) == boundary:
            listed += 1
    else:
        listed = len(ranked)
    settled = list(ranked)
    unsettled = {
        row[0]: index for index, row in enumerate(ranked[:listed]) if row[1] == "ngram" and row[3]
    }
    if unsettled:
        for text in _words_among_runs(list(unsettled), rest_texts, user_words):
            _text, _kind, coded, uncoded, keyness, log_ratio = ranked[unsettled[text]]
            settled[unsettled[text]] = (text, "word", coded, uncoded, keyness, log_ratio)
    settled.sort(key=lambda row: (-row[4], -row[2], _KIND_ORDER[row[1]], row[0]))
    return settled


#: The rest of a Han run from a position on (its end, matched forwards; its start, matched
#: in the reversed text).
_HAN_TAIL = re.compile(f"[{HAN_CHARACTER_CLASS}]*")


def _han_tail_end(text: str, position: int) -> int:
    """Where the Han characters from ``position`` on end (``position`` if none)."""
    match = _HAN_TAIL.match(text, position)
    assert match is not None  # a starred class matches everywhere, if only emptily
    return match.end()


def _words_among_runs(ngrams: list[str], texts: list[str], user_words: frozenset[str]) -> set[str]:
    """The Chinese ``ngrams`` that jieba makes a word in at least one Han run of ``texts``
    that contains them (the run segmented alone, as :func:`words_of` segments it).

    The texts are joined by line breaks (not Han, so no run crosses two texts) and searched
    for the n-gram; each occurrence's run is the Han stretch around it, and the search goes
    on after that run. An n-gram's runs are taken in text order, each distinct run segmented
    once, until one makes it a word.
    """
    from qualcode.analysis.freq import words_of

    joined = "\n".join(texts)
    backwards = joined[::-1]
    size = len(joined)
    words_in_run: dict[str, frozenset[str]] = {}
    found: set[str] = set()
    for ngram in ngrams:
        start = joined.find(ngram)
        while start >= 0:
            end = _han_tail_end(joined, start)
            run = joined[size - _han_tail_end(backwards, size - start) : end]
            words = words_in_run.get(run)
            if words is None:
                words = words_in_run[run] = frozenset(words_of(run, user_words))
            if ngram in words:
                found.add(ngram)
                break
            start = joined.find(ngram, end)  # the next run that holds it
    return found


def _redundant(text: str, listed: dict[str, _Evidence]) -> bool:
    """Whether a shorter listed candidate inside ``text`` is in exactly the same segments.

    Where both know their uncoded segments they are compared; otherwise the shorter one was
    counted by substring, so it is in every segment ``text`` is in, and equal counts mean
    equal segments.
    """
    entry = listed[text]
    parts = {
        text[start:end] for start in range(len(text)) for end in range(start + 1, len(text) + 1)
    }
    for part in parts & listed.keys():
        other = listed[part]
        if part == text or other.segments != entry.segments or other.uncoded != entry.uncoded:
            continue
        if entry.uncoded_segments is None or other.uncoded_segments is None:
            return True
        if entry.uncoded_segments == other.uncoded_segments:
            return True
    return False


# --------------------------------------------------------------------------------------------
# Writing chosen candidates to the codebook file


@dataclass(frozen=True)
class WriteResult:
    """What ``--write`` did: the candidates added, and the project's new codebook version."""

    path: Path
    added: list[Candidate]
    version_id: int
    new_version: bool


def choose(
    report: DiscoveryReport, pick: Sequence[int] = (), min_f1: float | None = None
) -> list[Candidate]:
    """The candidates to write: by rank (``--pick 1,3``) or by would-be F1 (``--min-f1``)."""
    if bool(pick) == (min_f1 is not None):
        raise UsageError("--write needs exactly one of --pick (ranks) or --min-f1")
    if pick:
        by_rank = {candidate.rank: candidate for candidate in report.candidates}
        unknown = [rank for rank in pick if rank not in by_rank]
        if unknown:
            raise UsageError(
                f"no candidate #{unknown[0]} (the list has {len(report.candidates)}; "
                "raise --top to see more)"
            )
        return [by_rank[rank] for rank in dict.fromkeys(pick)]
    assert min_f1 is not None
    chosen = [
        candidate
        for candidate in report.candidates
        if candidate.f1 is not None and candidate.f1 >= min_f1
    ]
    if not chosen:
        raise NotFoundError(f"no candidate in the list reaches F1 {min_f1}: nothing written")
    return chosen


def write_discoveries(
    project: Project, report: DiscoveryReport, path: Path, chosen: Sequence[Candidate], day: str
) -> WriteResult:
    """Add ``chosen`` to the code in the YAML file at ``path`` (comments and layout kept, each
    addition noted with ``day`` and the coder), then load the file as the project's codebook.

    The new text is validated before the file is replaced (atomically), so a failure leaves
    both the file and the project as they were.
    """
    from qualcode.codebook.rewrite import Addition, add_rules
    from qualcode.store.codebooks import load_into_project
    from qualcode.text.decoding import decode_bytes

    if path.suffix.lower() not in (".yml", ".yaml"):
        raise InputError(path, "--write adds to a YAML codebook (.yml or .yaml)")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(path, f"cannot read: {error.strerror or error}") from error
    text, _encoding = decode_bytes(data, path)
    note = (
        f"discovered {day} from {report.coder}'s coding (qualcode codebook suggest): "
        + ", ".join(candidate.candidate for candidate in chosen)
    ).replace("#", "")
    additions = [Addition(candidate.rule, candidate.candidate) for candidate in chosen]
    new_text = add_rules(text, path, report.code, additions, note)
    temporary = path.with_name(f".{path.name}.qualcode-new")
    try:
        temporary.write_text(new_text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise InputError(path, f"cannot write: {error.strerror or error}") from error
    loaded = load_into_project(project, path)
    return WriteResult(path, list(chosen), loaded.version_id, loaded.new_version)
