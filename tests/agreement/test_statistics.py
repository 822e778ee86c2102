"""Reliability statistics reproduce published values and agree with the krippendorff package."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.agreement.statistics import (
    Level,
    bootstrap_alpha,
    cohen_kappa,
    fleiss_kappa,
    fleiss_kappa_from_counts,
    krippendorff_alpha,
    percent_agreement,
)


def units_from_coders(lines: str) -> list[tuple[int | None, ...]]:
    """Krippendorff's layout (one line per coder, ``*`` missing) to one tuple per unit."""
    coders = [
        [None if cell == "*" else int(cell) for cell in line.split()] for line in lines.splitlines()
    ]
    return list(zip(*coders, strict=True))


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# 4 observers, 12 units, values 1-5, missing data.
FOUR_CODERS = units_from_coders(
    "1 2 3 3 2 1 4 1 2 * * *\n"
    "1 2 3 3 2 2 4 1 2 5 * 3\n"
    "* 3 3 3 2 3 4 2 2 5 1 *\n"
    "1 2 3 3 2 4 4 1 2 5 1 *"
)

# The 3 coders x 15 units example (Wikipedia, "Krippendorff's alpha", computational example).
THREE_CODERS = units_from_coders(
    "* * * * * 3 4 1 2 1 1 3 3 * 3\n1 * 2 1 3 3 4 3 * * * * * * *\n* * 2 1 3 4 4 * 2 1 1 3 3 * 4"
)


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_four_coders_twelve_units(level: Level, expected: float) -> None:
    alpha = krippendorff_alpha(FOUR_CODERS, level)
    assert alpha is not None
    assert round(alpha, 3) == expected


def test_krippendorff_three_coders_fifteen_units() -> None:
    alpha = krippendorff_alpha(THREE_CODERS, "nominal")
    assert alpha is not None
    assert round(alpha, 3) == 0.691


def test_cohen_kappa_textbook() -> None:
    # 50 proposals, two readers: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no (Wikipedia).
    units = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10
    units += [("no", "no")] * 15
    assert percent_agreement(units) == pytest.approx(0.7)
    kappa = cohen_kappa(units)
    assert kappa is not None
    assert round(kappa, 3) == 0.4


def test_weights_stand_for_repeated_units() -> None:
    patterns = [("yes", "yes"), ("yes", "no"), ("no", "yes"), ("no", "no")]
    assert cohen_kappa(patterns, [20, 5, 10, 15]) == pytest.approx(0.4)
    expanded = [pattern for pattern, n in zip(patterns, [20, 5, 10, 15], strict=True)
                for _ in range(n)]  # fmt: skip
    assert krippendorff_alpha(patterns, "nominal", [20, 5, 10, 15]) == pytest.approx(
        krippendorff_alpha(expanded)
    )


# Fleiss (1971) as worked on Wikipedia: 10 subjects, 14 raters, 5 categories.
FLEISS_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_fleiss_kappa_wikipedia() -> None:
    kappa = fleiss_kappa_from_counts(FLEISS_COUNTS)
    assert kappa is not None
    assert round(kappa, 3) == 0.210
    # The same from raw ratings: each subject lists its 14 raters' categories.
    units = [
        tuple(category for category, n in enumerate(row) for _ in range(n)) for row in FLEISS_COUNTS
    ]
    assert fleiss_kappa(units) == pytest.approx(kappa)
    # A row standing for several identical subjects counts as that many.
    doubled = fleiss_kappa_from_counts(FLEISS_COUNTS + FLEISS_COUNTS[:3])
    weighted = fleiss_kappa_from_counts(FLEISS_COUNTS, [2, 2, 2, 1, 1, 1, 1, 1, 1, 1])
    assert weighted == pytest.approx(doubled)


def test_fleiss_kappa_uses_complete_units_only() -> None:
    units = [(1, 1, 1), (1, 2, None), (2, 2, 2), (1, 1, 2)]
    assert fleiss_kappa(units) == pytest.approx(fleiss_kappa([(1, 1, 1), (2, 2, 2), (1, 1, 2)]))


def test_undefined_statistics_are_none() -> None:
    assert krippendorff_alpha([(1, 1), (1, 1)]) is None
    assert cohen_kappa([("a", "a"), ("a", "a")]) is None
    assert percent_agreement([(1, None), (None, None)]) is None
    assert krippendorff_alpha([]) is None


def test_percent_agreement_needs_all_present_values_equal() -> None:
    assert percent_agreement([(1, 1, 1), (1, 1, 2), (1, None, 1), (1, None, None)]) == (
        pytest.approx(2 / 3)
    )


def test_bootstrap_is_seeded_and_brackets_alpha() -> None:
    first = bootstrap_alpha(FOUR_CODERS, samples=500, seed=11)
    again = bootstrap_alpha(FOUR_CODERS, samples=500, seed=11)
    other = bootstrap_alpha(FOUR_CODERS, samples=500, seed=12)
    assert first == again
    assert first != other
    assert first.low is not None and first.high is not None
    assert first.low <= 0.743 <= first.high <= 1.0
    assert (first.samples, first.seed, first.confidence) == (500, 11, 0.95)


def test_bootstrap_with_weights_matches_expanded_units() -> None:
    patterns = [(1, 1), (1, 0), (0, 1), (0, 0)]
    weighted = bootstrap_alpha(patterns, samples=200, seed=3, weights=[20, 5, 10, 15])
    assert weighted.low is not None and weighted.high is not None
    assert weighted.low < 0.4 < weighted.high


reliability_data = st.integers(min_value=2, max_value=5).flatmap(
    lambda coders: st.lists(
        st.lists(
            st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
            min_size=coders,
            max_size=coders,
        ),
        min_size=2,
        max_size=25,
    )
)


@settings(max_examples=150, deadline=None)
@given(
    units=reliability_data,
    level=st.sampled_from(["nominal", "ordinal", "interval", "ratio"]),
)
def test_alpha_matches_krippendorff_package(units: list[list[int | None]], level: Level) -> None:
    ours = krippendorff_alpha(units, level)
    pairable = [unit for unit in units if sum(value is not None for value in unit) >= 2]
    values = {value for unit in pairable for value in unit if value is not None}
    if len(values) < 2:
        assert ours is None
        return
    data = np.array(
        [[np.nan if value is None else value for value in unit] for unit in units], dtype=float
    ).T
    theirs = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert ours is not None
    assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9)
