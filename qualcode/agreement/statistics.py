"""Reliability statistics as pure functions: no project, no I/O.

Reliability data are given unit by unit: ``units[u][i]`` is the value coder ``i`` gave unit
``u``, or ``None`` when that coder gave it none (missing). Every function also takes optional
integer ``weights`` (how many identical units a row stands for), so that character-level
agreement over long documents is computed from a few value patterns instead of one row per
character. A statistic that is undefined on the data (no variation, nothing pairable) is
``None``, never ``nan``, so it serialises as JSON ``null``.

Definitions, as in the literature the tests reproduce:

- percent agreement: the share of units with at least two values in which all values agree
  (for two coders, the usual observed agreement);
- Cohen's kappa (Cohen 1960): two coders, units where both gave a value;
- Fleiss' kappa (Fleiss 1971): any fixed number of coders, units where every coder gave a value;
- Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"): any
  number of coders, missing values allowed, through the coincidence matrix, with the nominal,
  ordinal, interval and ratio difference functions;
- a bootstrap interval for alpha that resamples units with replacement (seeded, percentile).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Value = Hashable
Unit = Sequence[Value | None]
Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")


def _weighted(units: Iterable[Unit], weights: Iterable[int] | None) -> list[tuple[Unit, int]]:
    if weights is None:
        return [(unit, 1) for unit in units]
    units = list(units)
    weights = list(weights)
    if len(units) != len(weights):
        raise ValueError("units and weights differ in length")
    return [(unit, weight) for unit, weight in zip(units, weights, strict=True) if weight]


def _present(unit: Unit) -> list[Value]:
    return [value for value in unit if value is not None]


def percent_agreement(units: Iterable[Unit], weights: Iterable[int] | None = None) -> float | None:
    """Share of units with at least two values whose values are all equal."""
    agreeing = total = 0
    for unit, weight in _weighted(units, weights):
        values = _present(unit)
        if len(values) < 2:
            continue
        total += weight
        if all(value == values[0] for value in values):
            agreeing += weight
    return agreeing / total if total else None


def cohen_kappa(units: Iterable[Unit], weights: Iterable[int] | None = None) -> float | None:
    """Cohen's kappa of two coders over the units both of them coded.

    ``None`` when chance agreement is 1 (both coders used one and the same value throughout).
    """
    pairs: Counter[tuple[Value, Value]] = Counter()
    for unit, weight in _weighted(units, weights):
        if len(unit) != 2:
            raise ValueError("Cohen's kappa compares exactly two coders")
        first, second = unit
        if first is not None and second is not None:
            pairs[first, second] += weight
    total = sum(pairs.values())
    if not total:
        return None
    observed = sum(count for (first, second), count in pairs.items() if first == second) / total
    first_margin: Counter[Value] = Counter()
    second_margin: Counter[Value] = Counter()
    for (first, second), count in pairs.items():
        first_margin[first] += count
        second_margin[second] += count
    expected = sum(first_margin[value] * second_margin[value] for value in first_margin) / (
        total * total
    )
    if expected >= 1:
        return None
    return (observed - expected) / (1 - expected)


def fleiss_kappa_from_counts(
    counts: Sequence[Sequence[int]], weights: Sequence[int] | None = None
) -> float | None:
    """Fleiss' kappa from a subjects x categories table of how many raters chose each.

    Every subject must have the same number of ratings (at least two); ``weights[i]`` says
    how many identical subjects row ``i`` stands for.
    """
    rows = [
        (list(row), weight)
        for row, weight in zip(counts, weights or [1] * len(counts), strict=True)
        if sum(row) and weight
    ]
    if not rows:
        return None
    raters = sum(rows[0][0])
    if raters < 2 or any(sum(row) != raters for row, _ in rows):
        raise ValueError("Fleiss' kappa needs the same number (>= 2) of ratings per subject")
    subjects = sum(weight for _, weight in rows)
    agreement = (
        sum(
            weight * (sum(n * n for n in row) - raters) / (raters * (raters - 1))
            for row, weight in rows
        )
        / subjects
    )
    categories = len(rows[0][0])
    shares = [
        sum(row[j] * weight for row, weight in rows) / (subjects * raters)
        for j in range(categories)
    ]
    expected = sum(share * share for share in shares)
    if expected >= 1:
        return None
    return (agreement - expected) / (1 - expected)


def fleiss_kappa(units: Iterable[Unit], weights: Iterable[int] | None = None) -> float | None:
    """Fleiss' kappa over the units every coder gave a value (complete cases)."""
    complete = [(unit, weight) for unit, weight in _weighted(units, weights) if None not in unit]
    if not complete:
        return None
    categories = sorted({value for unit, _ in complete for value in unit}, key=repr)
    index = {value: position for position, value in enumerate(categories)}
    counts: list[list[int]] = []
    for unit, _ in complete:
        row = [0] * len(categories)
        for value in unit:
            row[index[value]] += 1
        counts.append(row)
    return fleiss_kappa_from_counts(counts, [weight for _, weight in complete])


@dataclass(frozen=True)
class Coincidences:
    """Krippendorff's coincidence matrix over the values that occur in pairable units."""

    values: tuple[Value, ...]
    matrix: tuple[tuple[float, ...], ...]


def _sorted_values(values: Iterable[Value], level: Level) -> tuple[Value, ...]:
    distinct = set(values)
    if level == "nominal":
        try:
            return tuple(sorted(distinct))  # type: ignore[type-var]
        except TypeError:
            return tuple(sorted(distinct, key=repr))
    if not all(isinstance(value, int | float) and not isinstance(value, bool)
               for value in distinct):  # fmt: skip
        raise ValueError(f"{level} alpha needs numeric values")
    return tuple(sorted(distinct))  # type: ignore[type-var]


def unit_coincidences(unit: Unit) -> dict[tuple[Value, Value], float]:
    """One unit's contribution to the coincidence matrix: ordered value pairs / (m_u - 1)."""
    values = _present(unit)
    contribution: defaultdict[tuple[Value, Value], float] = defaultdict(float)
    pairable = len(values)
    if pairable < 2:
        return contribution
    for i, first in enumerate(values):
        for j, second in enumerate(values):
            if i != j:
                contribution[first, second] += 1 / (pairable - 1)
    return contribution


def coincidence_matrix(
    units: Iterable[Unit], level: Level = "nominal", weights: Iterable[int] | None = None
) -> Coincidences:
    """The coincidence matrix ``o_ck`` of the reliability data (Krippendorff 2011, section B)."""
    pairs: defaultdict[tuple[Value, Value], float] = defaultdict(float)
    for unit, weight in _weighted(units, weights):
        for pair, amount in unit_coincidences(unit).items():
            pairs[pair] += amount * weight
    values = _sorted_values((value for pair in pairs for value in pair), level)
    matrix = tuple(tuple(pairs.get((c, k), 0.0) for k in values) for c in values)
    return Coincidences(values, matrix)


def _differences(
    values: Sequence[Value], margins: Sequence[float], level: Level
) -> list[list[float]]:
    size = len(values)
    delta = [[0.0] * size for _ in range(size)]
    for c in range(size):
        for k in range(size):
            if c == k:
                continue
            if level == "nominal":
                delta[c][k] = 1.0
                continue
            first, second = float(values[c]), float(values[k])  # type: ignore[arg-type]
            if level == "ordinal":
                low, high = min(c, k), max(c, k)
                between = sum(margins[low : high + 1]) - (margins[c] + margins[k]) / 2
                delta[c][k] = between * between
            elif level == "interval":
                delta[c][k] = (first - second) ** 2
            else:
                total = first + second
                delta[c][k] = ((first - second) / total) ** 2 if total else 0.0
    return delta


def alpha_from_coincidences(coincidences: Coincidences, level: Level = "nominal") -> float | None:
    """``alpha = 1 - D_o / D_e`` from a coincidence matrix; ``None`` when ``D_e`` is 0."""
    if level not in LEVELS:
        raise ValueError(f"unknown level of measurement {level!r}")
    matrix = coincidences.matrix
    margins = [sum(row) for row in matrix]
    total = sum(margins)
    if total <= 1:
        return None
    delta = _differences(coincidences.values, margins, level)
    size = len(margins)
    observed = sum(matrix[c][k] * delta[c][k] for c in range(size) for k in range(size))
    expected = sum(margins[c] * margins[k] * delta[c][k] for c in range(size) for k in range(size))
    if expected <= 0:
        return None
    return 1 - (total - 1) * observed / expected


def krippendorff_alpha(
    units: Iterable[Unit], level: Level = "nominal", weights: Iterable[int] | None = None
) -> float | None:
    """Krippendorff's alpha for any number of coders, with missing values allowed."""
    return alpha_from_coincidences(coincidence_matrix(units, level, weights), level)


@dataclass(frozen=True)
class Interval:
    """A bootstrap percentile interval and how it was drawn."""

    low: float | None
    high: float | None
    samples: int
    seed: int
    confidence: float


def bootstrap_alpha(
    units: Sequence[Unit],
    *,
    samples: int,
    seed: int,
    level: Level = "nominal",
    weights: Sequence[int] | None = None,
    confidence: float = 0.95,
) -> Interval:
    """Percentile interval for alpha from ``samples`` resamplings of the units (seeded).

    Each replicate draws as many units as there are, with replacement (a row with weight ``w``
    stands for ``w`` units), and recomputes alpha from the summed per-unit coincidences;
    replicates where alpha is undefined (no variation in the draw) are left out of the
    percentiles. The same data and seed always give the same interval.
    """
    import numpy as np

    if samples < 1:
        raise ValueError("the number of bootstrap samples must be at least 1")
    rows = _weighted(units, weights)
    total = sum(weight for _, weight in rows)
    if not total:
        return Interval(None, None, samples, seed, confidence)
    contributions = [unit_coincidences(unit) for unit, _ in rows]
    values = _sorted_values((v for pairs in contributions for pair in pairs for v in pair), level)
    size = len(values)
    index = {value: position for position, value in enumerate(values)}
    table = np.zeros((len(rows), size * size))
    for row, pairs in enumerate(contributions):
        for (first, second), amount in pairs.items():
            table[row, index[first] * size + index[second]] = amount
    shares = np.array([weight for _, weight in rows], dtype=float) / total
    generator = np.random.default_rng(seed)
    estimates: list[float] = []
    for _ in range(samples):
        flat = generator.multinomial(total, shares) @ table
        matrix = tuple(
            tuple(float(x) for x in flat[c * size : (c + 1) * size]) for c in range(size)
        )
        alpha = alpha_from_coincidences(Coincidences(values, matrix), level)
        if alpha is not None:
            estimates.append(alpha)
    if not estimates:
        return Interval(None, None, samples, seed, confidence)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(np.array(estimates), [tail, 100 - tail])
    return Interval(float(low), float(high), samples, seed, confidence)
