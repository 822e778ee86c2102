"""Co-occurrence: how often two codes are applied to the same segment (or document).

For codes A and B, ``counts[a][b]`` is the number of units (segments by default, documents
with ``scope="document"``) that have at least one current coding under A and at least one under
B; the diagonal ``counts[a][a]`` is the number of units coded with A at all. The Jaccard index
is ``both / (units with A + units with B - both)`` (0 when neither occurs), rounded to three
decimals; its diagonal is 1 for every code that occurs.

Codes are chosen as matrix columns are (:func:`qualcode.analysis.matrix.select_columns`):
``level="code"`` (default here) gives every code below the themes, each including its
sub-codes, so a parent always co-occurs with its children; pass ``depth`` to compare codes of
one depth only. Codings are filtered by the shared
:class:`~qualcode.analysis.query.CodingFilter`, as everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from qualcode.analysis.matrix import Level, select_columns
from qualcode.analysis.query import CodingFilter, cooccurrence_counts
from qualcode.codebook.model import Language
from qualcode.errors import UsageError
from qualcode.store.project import Project

Scope = Literal["segment", "document"]
SCOPES: tuple[Scope, ...] = ("segment", "document")


@dataclass(frozen=True)
class CooccurOptions:
    """What :func:`build_cooccurrence` computes."""

    scope: Scope = "segment"
    level: Level = "code"
    depth: int | None = None
    filters: CodingFilter = field(default_factory=CodingFilter)
    language: Language = "zh"

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise UsageError(f"unknown scope {self.scope!r}: use segment or document")


@dataclass(frozen=True)
class Cooccurrence:
    """A square code x code table; ``counts[i][j]`` and ``jaccard[i][j]`` for codes i and j."""

    scope: Scope
    code_ids: list[str]
    labels: list[str]
    counts: list[list[int]]
    jaccard: list[list[float]]
    #: The coder policy the counts use (which codings count).
    filters: CodingFilter = field(default_factory=CodingFilter)

    def pairs(self) -> list[dict[str, Any]]:
        """Long format: one row per pair of different codes (each pair once), in codebook
        order, with the units of each code, of both, and the Jaccard index."""
        rows = []
        for i, code_a in enumerate(self.code_ids):
            for j in range(i + 1, len(self.code_ids)):
                rows.append(
                    {
                        "code_a": code_a,
                        "code_b": self.code_ids[j],
                        "a": self.counts[i][i],
                        "b": self.counts[j][j],
                        "both": self.counts[i][j],
                        "jaccard": self.jaccard[i][j],
                    }
                )
        return rows


def build_cooccurrence(project: Project, options: CooccurOptions) -> Cooccurrence:
    """Count co-occurring codes (read-only). Unknown codes or cases: NotFoundError."""
    columns, pairs = select_columns(project, options.level, options.depth, options.filters.codes)
    size = len(columns)
    counts = [[0] * size for _ in range(size)]
    for col_a, col_b, both in cooccurrence_counts(
        project.conn, options.filters, pairs, options.scope
    ):
        counts[col_a][col_b] = both
    jaccard = [
        [_jaccard(counts[i][j], counts[i][i], counts[j][j]) for j in range(size)]
        for i in range(size)
    ]
    return Cooccurrence(
        scope=options.scope,
        code_ids=[column.column_id for column in columns],
        labels=[column.label(options.language) for column in columns],
        counts=counts,
        jaccard=jaccard,
        filters=options.filters,
    )


def _jaccard(both: int, units_a: int, units_b: int) -> float:
    union = units_a + units_b - both
    return round(both / union, 3) if union else 0.0
