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
from collections import defaultdict
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
    """Per candidate: which segments hold it, and what kind of candidate it is."""

    kind: CandidateKind
    segments: set[int] = field(default_factory=set)


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
        if _in_scope(scope, role)
    }
    positives &= texts.keys()
    if not positives:
        raise NotFoundError(
            f"coder '{coder}' coded '{code.code_id}' only on segments outside its scope ({scope})"
        )
    evidence = _candidates(texts, codebook_terms(project))
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


def _in_scope(scope: str, role: str | None) -> bool:
    if scope == "all":
        return True
    if scope == "interviewer":
        return role == "interviewer"
    return role != "interviewer"


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


def _english_phrases(text: str) -> Iterable[str]:
    """Two- and three-word phrases of consecutive English words (lower case) that neither
    start nor end with a stop word; a Chinese character or punctuation breaks a phrase."""
    english_stop = stop_words("en")
    for stretch in re.split(f"[^{LATIN_CHARACTER_CLASS}\\s'-]+", text):
        words = [word.lower() for word in _LATIN_WORD.findall(stretch)]
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
    by_segments: dict[frozenset[int], list[str]] = defaultdict(list)
    for text, entry in evidence.items():
        coded = len(entry.segments & positives)
        if coded == 0 or normalise(text) in known:
            continue
        uncoded = len(entry.segments) - coded
        keyness = log_likelihood(coded, uncoded, coded_total, rest_total)
        if keyness <= 0:
            continue
        log_ratio = math.log2(
            ((coded or 0.5) / coded_total) / ((uncoded or 0.5) / max(rest_total, 1))
        )
        scored.append((text, entry.kind, coded, uncoded, keyness, log_ratio))
        by_segments[frozenset(entry.segments)].append(text)
    redundant = {
        text
        for texts in by_segments.values()
        if len(texts) > 1
        for text in texts
        if any(other != text and other in text for other in texts)
    }
    kept = [row for row in scored if row[0] not in redundant]
    kept.sort(key=lambda row: (-row[4], -row[2], _KIND_ORDER[row[1]], row[0]))
    return kept


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
