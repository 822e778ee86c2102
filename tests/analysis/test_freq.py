"""Word frequencies and keyness on a small project whose every count is known by hand."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from qualcode.analysis.freq import (
    FreqOptions,
    log_likelihood,
    stop_words,
    word_frequencies,
    words_of,
)
from qualcode.analysis.query import CodingFilter
from qualcode.errors import NotFoundError
from qualcode.models import Role, Segment
from qualcode.store.codebooks import load_into_project
from qualcode.store.codings import code_segment
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.project import Project
from tests.conftest import FIXTURES, Cli, write

Turn = tuple[str, Role, str]

CODEBOOK = (FIXTURES / "codebooks" / "mini_described.yml").read_text(encoding="utf-8")

CHAIJI: list[Turn] = [
    ("采访者", "interviewer", "社区怎么做的？"),
    ("受访者", "respondent", "网格员二十四小时值守，网格员很辛苦。"),
    ("受访者", "respondent", "菜价涨了，我们马上辟谣。"),
]
RIVERSIDE: list[Turn] = [
    ("Interviewer", "interviewer", "What did volunteers do?"),
    ("Resident", "respondent", "The volunteers were checking the checkpoints every day."),
    ("Resident", "respondent", "Volunteers delivered food; we didn't have enough masks."),
]
HILLSIDE: list[Turn] = [("Resident", "respondent", "Food prices went up, volunteers said.")]


def add_document(
    project: Project, name: str, turns: Sequence[Turn], case: str, **attrs: str
) -> list[int]:
    """Store ``name`` with one segment per turn (label outside the span); return segment ids."""
    text, segments = "", []
    for ordinal, (speaker, role, body) in enumerate(turns):
        label = f"{speaker}："
        start = len(text) + len(label)
        segments.append(Segment(ordinal, start, start + len(body), speaker, role))
        text += f"{label}{body}\n"
    language = "zh" if any("\u4e00" <= char <= "\u9fff" for char in text) else "en"
    document = PreparedDocument(name, name, text, "utf-8", "txt", language, "turn", segments)
    store_document(project, document, case_name=case, case_attributes=attrs or None)
    rows = project.conn.execute(
        "SELECT segment_id FROM segments_view WHERE document = ? ORDER BY ordinal", (name,)
    )
    return [int(row[0]) for row in rows]


def build_study(project: Project, folder: Path) -> dict[str, list[int]]:
    """Three cases, the mini codebook and four manual codings by 'li'.

    柴机 (district 梁溪): turn 1 grid.grid_workers, turn 2 opinion.prices + opinion.rumours.
    Riverside (district 新吴): turn 1 grid.checkpoints, turn 2 uncoded.
    Hillside (no district): one uncoded turn.
    """
    ids = {
        "chaiji": add_document(project, "chaiji.txt", CHAIJI, "柴机", district="梁溪"),
        "riverside": add_document(
            project, "riverside.txt", RIVERSIDE, "Riverside", district="新吴"
        ),
        "hillside": add_document(project, "hillside.txt", HILLSIDE, "Hillside"),
    }
    load_into_project(project, write(folder / "mini.yml", CODEBOOK))
    for segment_id, code_id in (
        (ids["chaiji"][1], "grid.grid_workers"),
        (ids["chaiji"][2], "opinion.prices"),
        (ids["chaiji"][2], "opinion.rumours"),
        (ids["riverside"][1], "grid.checkpoints"),
    ):
        code_segment(project, segment_id, code_id, coder="li")
    return ids


@pytest.fixture
def study(project: Project, tmp_path: Path) -> Project:
    build_study(project, tmp_path)
    return project


def counts(rows: list[dict[str, object]], group: str) -> dict[object, object]:
    return {row["word"]: row["count"] for row in rows if row["group"] == group}


def test_words_chinese_and_english_without_stop_words() -> None:
    # 很 (adverb), punctuation and the numeral 二十四 are not words; 网格员 stays whole as a
    # codebook term (jieba alone splits it into 网格 + 员).
    assert words_of("网格员") == ["网格", "员"]
    assert words_of("网格员二十四小时值守，网格员很辛苦。", frozenset({"网格员"})) == [
        "网格员", "小时", "值守", "网格员", "辛苦",
    ]  # fmt: skip
    assert words_of("菜价涨了，我们马上辟谣。") == ["菜价", "涨", "辟谣"]
    # English: lemmas, lower case; the, were, we, didn't, have, enough, every are stop words.
    assert words_of("The Volunteers were checking the checkpoints every day.") == [
        "volunteer", "check", "checkpoint", "day",
    ]  # fmt: skip
    assert words_of("Volunteers delivered food; we didn't have enough masks.") == [
        "volunteer", "deliver", "food", "mask",
    ]  # fmt: skip
    assert words_of("2020年, 二〇二〇年, 3 times!") == ["time"]
    # Mixed text: Chinese words first, then English ones.
    assert words_of("我们用APP登记 volunteers") == ["用", "登记", "app", "volunteer"]


def test_stop_word_lists_are_shipped_data() -> None:
    chinese, english = stop_words("zh"), stop_words("en")
    assert len(chinese) >= 300 and len(english) >= 300
    assert {"的", "了", "我们", "就是", "然后"} <= chinese
    assert {"the", "and", "be", "n't", "yeah"} <= english
    assert not any(word.startswith("#") for word in chinese | english)


def test_frequencies_by_case_count_respondent_words(study: Project) -> None:
    rows = word_frequencies(study, FreqOptions(by="case"))
    assert counts(rows, "柴机") == {
        "网格员": 2, "值守": 1, "小时": 1, "涨": 1, "菜价": 1, "辛苦": 1, "辟谣": 1,
    }  # fmt: skip
    assert counts(rows, "Riverside") == {
        "volunteer": 2, "check": 1, "checkpoint": 1, "day": 1, "deliver": 1, "food": 1, "mask": 1,
    }  # fmt: skip
    assert counts(rows, "Hillside") == {"food": 1, "price": 1, "volunteer": 1}
    first = rows[0]
    assert first == {
        "group": "柴机", "label": "柴机", "rank": 1, "word": "网格员", "count": 2,
        "per_10k": 2500.0, "rest_count": 0, "keyness": first["keyness"],
    }  # fmt: skip
    # The interviewer's 社区 counts only when asked for.
    everyone = word_frequencies(study, FreqOptions(by="case", speakers="all"))
    assert counts(everyone, "柴机")["社区"] == 1
    assert counts(everyone, "Riverside")["volunteer"] == 3
    assert "社区" not in counts(rows, "柴机")


def test_frequencies_by_theme_and_by_attribute(study: Project) -> None:
    rows = word_frequencies(study, FreqOptions(by="theme", top=3))
    assert [(row["group"], row["label"], row["word"], row["count"]) for row in rows] == [
        ("grid", "网格化应急治理", "网格员", 2),
        ("grid", "网格化应急治理", "check", 1),
        ("grid", "网格化应急治理", "checkpoint", 1),
        ("opinion", "舆情引导", "涨", 1),
        ("opinion", "舆情引导", "菜价", 1),
        ("opinion", "舆情引导", "辟谣", 1),
    ]  # fmt: skip
    by_district = word_frequencies(study, FreqOptions(by="district", top=1))
    assert [(row["group"], row["word"], row["count"]) for row in by_district] == [
        ("新吴", "volunteer", 2), ("梁溪", "网格员", 2), ("(none)", "food", 1),
    ]  # fmt: skip
    # A coder with no codings is a name that matches nothing: an error, not an empty table.
    with pytest.raises(NotFoundError, match="no coder 'wang'"):
        word_frequencies(study, FreqOptions(by="theme", filters=CodingFilter(coders=("wang",))))


def test_keyness_is_the_hand_computed_log_likelihood(study: Project) -> None:
    # Textbook case: a=10 of c=100 words against b=5 of d=200. E1 = 5, E2 = 10,
    # G2 = 2 (10 ln 2 + 5 ln 0.5) = 10 ln 2.
    assert log_likelihood(10, 5, 100, 200) == pytest.approx(10 * math.log(2))
    assert log_likelihood(5, 10, 200, 100) == pytest.approx(-10 * math.log(2))
    assert log_likelihood(3, 0, 10, 0) == 0.0
    rows = word_frequencies(study, FreqOptions(by="theme", keyness=True, top=20))
    grid = {row["word"]: row for row in rows if row["group"] == "grid"}
    # The grid theme's segments have 9 counted words (网格员 x2, 小时, 值守, 辛苦 | volunteer,
    # check, checkpoint, day); the rest of the respondent text 10 (菜价 涨 辟谣 | volunteer
    # deliver food mask | food price volunteer).
    # 网格员: a=2, b=0, c=9, d=10. E1 = 9*2/19 = 18/19, G2 = 2*2*ln(2/E1) = 4 ln(19/9) = 2.989.
    assert grid["网格员"]["keyness"] == round(4 * math.log(19 / 9), 3) == 2.989
    # volunteer: a=1, b=2. The group uses it less (1/9 < 2/10), so G2 is negative:
    # E1 = 27/19, E2 = 30/19, G2 = 2 (ln(19/27) + 2 ln(38/30)) = 0.243.
    assert grid["volunteer"]["keyness"] == -0.243
    assert grid["volunteer"]["rest_count"] == 2
    # Ranked by keyness: 网格员 first, volunteer (under-used) last.
    ordered = [row["word"] for row in rows if row["group"] == "grid"]
    assert ordered[0] == "网格员" and ordered[-1] == "volunteer"


def test_freq_command(cli: Cli, study: Project) -> None:
    result = cli("freq", "--by", "case", "--top", "2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    # Ties are ordered by the word's code points: 值 (U+503C) before 小 (U+5C0F).
    assert [(row["group"], row["word"], row["count"]) for row in rows] == [
        ("柴机", "网格员", 2), ("柴机", "值守", 1),
        ("Riverside", "volunteer", 2), ("Riverside", "check", 1),
        ("Hillside", "food", 1), ("Hillside", "price", 1),
    ]  # fmt: skip
    table = cli("freq", "--keyness")
    assert table.exit_code == 0, table.stderr
    assert "网格员" in table.stdout
    bad = cli("freq", "--by", "distrct")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: unknown case attribute 'distrct'")
    assert cli("freq", "--top", "0").exit_code == 2
    assert "Example: qualcode freq" in cli("freq", "--help").stdout


def test_freq_by_theme_needs_a_codebook(cli: Cli, project: Project) -> None:
    add_document(project, "hillside.txt", HILLSIDE, "Hillside")
    result = cli("freq")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the project has no codebook: load one with 'qualcode codebook load FILE'\n"
    )
    by_case = cli("freq", "--by", "case", "--format", "csv")
    assert by_case.exit_code == 0, by_case.stderr
    assert by_case.stdout.splitlines()[1:] == [
        "Hillside,Hillside,1,food,1,3333.33,0,0.0",
        "Hillside,Hillside,2,price,1,3333.33,0,0.0",
        "Hillside,Hillside,3,volunteer,1,3333.33,0,0.0",
    ]
