"""Automatic coding runs: the codebook's rules over stored segments, with provenance.

One run matches every rule of every selected code in one pass per segment
(:mod:`qualcode.autocode.matching`, Aho-Corasick), and writes all its results in one
transaction: a run row (codebook version and hash, parameters, tool version, time) and one
automatic coding per hit, each with its run id, the rule that fired and its exact span. Runs
never touch manual codings. An ``apply`` run marks earlier automatic codings of the segments it
processed as superseded (kept for ``autocode diff``); a ``suggest`` run stores suggestions for
review.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from qualcode.codebook.model import Codebook
from qualcode.errors import NotFoundError, UsageError
from qualcode.models import CodeRules, Match
from qualcode.parallel import ordered_map, worker_count
from qualcode.store.codebooks import current_codebook, current_version_id
from qualcode.store.journal import journaled
from qualcode.store.project import Project, now_utc

Mode = Literal["apply", "suggest"]
MODES: tuple[Mode, ...] = ("apply", "suggest")
_BATCH = 20_000
#: From this many segments on, an apply run writes its codings with the table's secondary
#: indexes and journal triggers dropped and recreates them afterwards (same transaction):
#: measured on 670,000 codings, about 4 s instead of 9.5 s.
BULK_SEGMENTS = 50_000
#: From this many segments on, matching runs in worker processes beside the writes; below it,
#: starting a worker and compiling the rules there costs more than it saves.
PARALLEL_SEGMENTS = 100_000


@dataclass
class AutocodeOptions:
    """Parameters of one run; they are stored with it."""

    mode: Mode = "apply"
    only_new: bool = False
    dry_run: bool = False
    codes: tuple[str, ...] = ()
    run_by: str = "unknown"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise UsageError(f"unknown mode {self.mode!r}: use apply or suggest")


@dataclass
class CodeTally:
    segments: int = 0
    hits: int = 0


@dataclass
class AutocodeReport:
    """What a run did (or, for a dry run, would do)."""

    run_id: int | None
    mode: Mode
    dry_run: bool
    segments_processed: int
    codings: int
    per_code: dict[str, CodeTally] = field(default_factory=dict)

    def rows(self, codebook_order: Sequence[str]) -> list[dict[str, Any]]:
        """One row per code that fired, in codebook order."""
        return [
            {"code": code_id, "segments": tally.segments, "hits": tally.hits}
            for code_id in codebook_order
            if (tally := self.per_code.get(code_id)) is not None
        ]


def select_rules(codebook: Codebook, codes: Sequence[str]) -> list[CodeRules]:
    """Rules of the selected codes and their sub-codes (all codes when none are given)."""
    if not codes:
        return codebook.rules()
    selected: set[str] = set()
    for code_id in codes:
        selected.add(codebook.get(code_id).code_id)
        selected.update(code.code_id for code in codebook.descendants(code_id))
    return [rules for rules in codebook.rules() if rules.code_id in selected]


def _in_scope(scope: str, role: str | None) -> bool:
    if scope == "all":
        return True
    if scope == "interviewer":
        return role == "interviewer"
    return role != "interviewer"


def _seen_through(project: Project, codebook_hash: str, mode: Mode, codes: Sequence[str]) -> int:
    """Highest segment id already processed by a run with the same codebook and selection."""
    best = 0
    for row in project.conn.execute(
        "SELECT parameters, through_segment_id FROM autocode_runs "
        "WHERE codebook_hash = ? AND mode = ? AND finished_at IS NOT NULL",
        (codebook_hash, mode),
    ):
        if json.loads(row[0]).get("codes", []) == list(codes):
            best = max(best, int(row[1]))
    return best


#: Which segments some rule can fire on, by the scopes of the selected codes: a run whose
#: codes all take respondent turns only never reads the interviewer's questions.
_SCOPE_CONDITIONS = {
    frozenset({"respondent"}): " AND (role IS NULL OR role <> 'interviewer')",
    frozenset({"interviewer"}): " AND role = 'interviewer'",
}


def _segment_batches(
    project: Project, after: int, through: int, scopes: Iterable[str]
) -> Iterator[list[Any]]:
    """Segments ``after < segment_id <= through`` that some rule may code, in batches."""
    cursor = project.conn.cursor()
    cursor.row_factory = None  # plain tuples: cheaper, and picklable for worker processes
    condition = _SCOPE_CONDITIONS.get(frozenset(scopes), "")
    lower = after
    while lower < through:
        rows = cursor.execute(
            "SELECT segment_id, role, start_char, text FROM segments "
            f"WHERE segment_id > ? AND segment_id <= ?{condition} ORDER BY segment_id LIMIT ?",
            (lower, through, _BATCH),
        ).fetchall()
        if not rows:
            return
        yield rows
        lower = rows[-1][0]


def run_autocode(project: Project, options: AutocodeOptions) -> AutocodeReport:
    """Match the current codebook's rules over the segments and store (or report) the hits."""
    codebook = current_codebook(project)
    rules = select_rules(codebook, options.codes)
    if not rules:
        raise NotFoundError("no code in the selection has keywords, patterns or lemmas")
    scopes = {rule.code_id: rule.scope for rule in rules}
    through = int(
        project.conn.execute("SELECT coalesce(max(segment_id), 0) FROM segments").fetchone()[0]
    )
    after = (
        _seen_through(project, codebook.content_hash, options.mode, options.codes)
        if options.only_new
        else 0
    )
    # Every segment in the range counts as processed, also those no selected rule can code
    # (interviewer turns under respondent scope), which are not even read.
    processed = project.conn.execute(
        "SELECT count(*) FROM segments WHERE segment_id > ? AND segment_id <= ?", (after, through)
    ).fetchone()[0]
    report = AutocodeReport(None, options.mode, options.dry_run, int(processed), 0)
    batches = _segment_batches(project, after, through, scopes.values())
    hits_by_batch = (
        _tallied(report, batch_hits) for batch_hits in _batch_hits(rules, batches, report)
    )
    if options.dry_run:
        for rows in hits_by_batch:
            report.codings += len(rows)
        return report
    _store_run(project, codebook, options, after, through, list(scopes), hits_by_batch, report)
    return report


def _store_run(
    project: Project,
    codebook: Codebook,
    options: AutocodeOptions,
    after: int,
    through: int,
    code_ids: list[str],
    hits_by_batch: Iterable[list[Hit]],
    report: AutocodeReport,
) -> None:
    """Write the run row and its codings (or suggestions) in one journaled transaction."""
    from qualcode._version import __version__

    parameters = {
        "only_new": options.only_new,
        "codes": list(options.codes),
        "after_segment_id": after,
    }
    summary = f"autocode {options.mode}" + (f" {','.join(options.codes)}" if options.codes else "")
    with journaled(project, "autocode", summary, compact_runs=True) as conn:
        run_id = int(
            conn.execute(
                "INSERT INTO autocode_runs (version_id, codebook_hash, mode, parameters, "
                "tool_version, run_by, through_segment_id, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    current_version_id(project),
                    codebook.content_hash,
                    options.mode,
                    json.dumps(parameters),
                    __version__,
                    options.run_by,
                    through,
                    now_utc(),
                ),
            ).lastrowid
            or 0
        )
        report.run_id = run_id
        if options.mode == "apply":
            _supersede(conn, run_id, after, through, code_ids)
        created = now_utc()
        bulk = options.mode == "apply" and report.segments_processed >= BULK_SEGMENTS
        with _bulk_write(conn, "codings", enabled=bulk):
            for rows in hits_by_batch:
                report.codings += _write_hits(conn, options.mode, run_id, created, rows)
        conn.execute(
            "UPDATE autocode_runs SET segments_processed = ?, codings_added = ?, finished_at = ? "
            "WHERE run_id = ?",
            (report.segments_processed, report.codings, now_utc(), run_id),
        )


Hit = tuple[int, str, str, str, int, int]  # segment_id, code_id, rule_kind, rule, start, end


@dataclass(frozen=True)
class BatchHits:
    """The in-scope hits of one batch of segments, and per code its hits and coded segments."""

    hits: list[Hit]
    tallies: dict[str, tuple[int, int]]


class _BatchMatcher:
    """The selected rules compiled once per process, applied to batches of segment rows.

    A worker process builds its own from the rules (see :func:`_batch_hits`), so the
    automaton is never sent between processes; only segment rows and hits are.
    """

    def __init__(self, rules: Sequence[CodeRules]) -> None:
        from qualcode.autocode.matching import compile_matcher

        self.matcher = compile_matcher(rules)
        scopes = {rule.code_id: rule.scope for rule in rules}
        self.codes_for_role = {
            role: frozenset(code_id for code_id, scope in scopes.items() if _in_scope(scope, role))
            for role in (None, "interviewer", "respondent")
        }

    def __call__(self, batch: list[Any]) -> BatchHits:
        """Hits with document offsets for rows ``(segment_id, role, start_char, text)``."""
        hits: list[Hit] = []
        all_matches: Iterator[list[Match]] = self.matcher.match_many(row[3] for row in batch)
        for (segment_id, role, start_char, _text), matches in zip(batch, all_matches, strict=True):
            if not matches:
                continue
            allowed = self.codes_for_role[role]
            for code_id, rule_kind, rule, start, end in matches:
                if code_id in allowed:
                    hits.append(
                        (segment_id, code_id, rule_kind, rule, start_char + start, start_char + end)
                    )
        return BatchHits(hits, _tallies(hits))


def _tallies(hits: list[Hit]) -> dict[str, tuple[int, int]]:
    """Per code: its hits and the distinct segments it codes."""
    hit_counts = Counter(hit[1] for hit in hits)
    segment_counts = Counter(code_id for _segment, code_id in {hit[:2] for hit in hits})
    return {code_id: (count, segment_counts[code_id]) for code_id, count in hit_counts.items()}


def _tallied(report: AutocodeReport, batch_hits: BatchHits) -> list[Hit]:
    """Add a batch's tallies to the report; return its hits."""
    for code_id, (hits, segments) in batch_hits.tallies.items():
        tally = report.per_code.setdefault(code_id, CodeTally())
        tally.hits += hits
        tally.segments += segments
    return batch_hits.hits


#: The matcher of a worker process, built by :func:`_set_up_worker`.
_worker_matcher: _BatchMatcher | None = None


def _set_up_worker(rules: Sequence[CodeRules]) -> None:
    global _worker_matcher
    _worker_matcher = _BatchMatcher(rules)


def _match_in_worker(batch: list[Any]) -> BatchHits:
    assert _worker_matcher is not None, "worker used before _set_up_worker"
    return _worker_matcher(batch)


def _batch_hits(
    rules: Sequence[CodeRules], batches: Iterable[list[Any]], report: AutocodeReport
) -> Iterator[BatchHits]:
    """Each batch's hits, in order: matched in worker processes for large runs.

    Matching is Python-bound and writing is SQLite-bound, so from ``PARALLEL_SEGMENTS``
    segments on, workers match later batches while this process writes earlier ones. Each
    worker compiles the rules itself; the results are the same as matching here.
    """
    workers = worker_count()
    if report.segments_processed < PARALLEL_SEGMENTS or workers < 1:
        return map(_BatchMatcher(rules), batches)
    return ordered_map(
        _match_in_worker, batches, workers=workers, setup=_set_up_worker, setup_args=(rules,)
    )


@contextmanager
def _bulk_write(conn: sqlite3.Connection, table: str, *, enabled: bool) -> Iterator[None]:
    """Drop ``table``'s non-unique indexes and triggers for the block, then recreate them.

    For the bulk inserts of a large auto-coding run: sorting once to rebuild an index beats
    updating it row by row, and the journal triggers are silent during a run anyway (it is
    journaled compactly, see :mod:`qualcode.store.journal`), yet their WHEN clause costs a query
    per row. The definitions are read from ``sqlite_master``, so the schema stays in the
    migrations; unique indexes stay, since they are constraints. Runs inside the caller's
    transaction, so a failure rolls the drops back with everything else.
    """
    if not enabled:
        yield
        return
    objects = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
        "AND (type = 'trigger' OR (type = 'index' AND sql NOT LIKE 'CREATE UNIQUE%'))",
        (table,),
    ).fetchall()
    for kind, name, _sql in objects:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    yield
    for _kind, _name, sql in objects:
        conn.execute(sql)


def _supersede(conn: Any, run_id: int, after: int, through: int, code_ids: list[str]) -> None:
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS selected_codes (code_id TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM selected_codes")
    conn.executemany("INSERT INTO selected_codes VALUES (?)", [(code_id,) for code_id in code_ids])
    conn.execute(
        "UPDATE codings SET superseded_by_run = ? WHERE origin = 'auto' "
        "AND superseded_by_run IS NULL AND segment_id > ? AND segment_id <= ? "
        "AND code_id IN (SELECT code_id FROM selected_codes)",
        (run_id, after, through),
    )


def _write_hits(conn: Any, mode: Mode, run_id: int, created: str, hits: list[Hit]) -> int:
    if mode == "apply":
        conn.executemany(
            "INSERT INTO codings (segment_id, code_id, coder, origin, run_id, rule_kind, rule, "
            "start_char, end_char, created_at) VALUES (?, ?, 'auto', 'auto', ?, ?, ?, ?, ?, ?)",
            [
                (s, c, run_id, kind, rule, start, end, created)
                for s, c, kind, rule, start, end in hits
            ],
        )
        return len(hits)
    pending = [
        hit for hit in hits
        if conn.execute(
            "SELECT 1 FROM codings WHERE segment_id = ? AND code_id = ? AND origin = 'manual' "
            "UNION ALL SELECT 1 FROM suggestions WHERE segment_id = ? AND code_id = ? "
            "AND start_char = ? AND end_char = ? LIMIT 1",
            (hit[0], hit[1], hit[0], hit[1], hit[4], hit[5]),
        ).fetchone() is None
    ]  # fmt: skip
    conn.executemany(
        "INSERT INTO suggestions (run_id, segment_id, code_id, rule_kind, rule, start_char, "
        "end_char) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(run_id, *hit) for hit in pending],
    )
    return len(pending)


def list_runs(project: Project) -> list[dict[str, Any]]:
    rows = project.conn.execute(
        "SELECT r.run_id, r.mode, r.version_id, v.name AS codebook, r.codebook_hash, "
        "r.parameters, r.tool_version, r.run_by, r.segments_processed, r.codings_added, "
        "r.started_at, r.finished_at FROM autocode_runs r "
        "JOIN codebook_versions v ON v.version_id = r.version_id ORDER BY r.run_id"
    )
    return [dict(row) for row in rows]


def _run_results(project: Project, run_id: int) -> tuple[dict[str, Any], set[tuple[int, str]]]:
    run = project.conn.execute(
        "SELECT run_id, mode, parameters, through_segment_id FROM autocode_runs WHERE run_id = ?",
        (run_id,),
    ).fetchone()
    if run is None:
        raise NotFoundError(f"no auto-coding run {run_id} (see 'qualcode autocode runs')")
    table = "codings" if run["mode"] == "apply" else "suggestions"
    pairs = {
        (int(segment_id), str(code_id))
        for segment_id, code_id in project.conn.execute(
            f"SELECT DISTINCT segment_id, code_id FROM {table} WHERE run_id = ?", (run_id,)
        )
    }
    return dict(run), pairs


def diff_runs(project: Project, run_a: int, run_b: int) -> list[dict[str, Any]]:
    """Segments that gained or lost codes from run A to run B, over segments both processed."""
    first, first_pairs = _run_results(project, run_a)
    second, second_pairs = _run_results(project, run_b)
    lower = int(
        max(
            json.loads(first["parameters"])["after_segment_id"],
            json.loads(second["parameters"])["after_segment_id"],
        )
    )
    upper = int(min(first["through_segment_id"], second["through_segment_id"]))

    def both_processed(pair: tuple[int, str]) -> bool:
        return lower < pair[0] <= upper

    changes: dict[tuple[int, str], str] = {}
    for pair in first_pairs - second_pairs:
        if both_processed(pair):
            changes[pair] = "lost"
    for pair in second_pairs - first_pairs:
        if both_processed(pair):
            changes[pair] = "gained"
    grouped: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"gained": [], "lost": []})
    for (segment_id, code_id), change in sorted(changes.items()):
        grouped[segment_id][change].append(code_id)
    return [
        {"segment_id": segment_id, "gained": value["gained"], "lost": value["lost"]}
        for segment_id, value in sorted(grouped.items())
    ]
