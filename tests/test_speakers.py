"""Speaker roles you can see and set: ``qualcode speakers``, ``speakers set``, ``import
--interviewer``, the "roles unknown" line and the roles column of ``docs list``."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CODEBOOK, Cli, write

#: A speech-recognition transcript where the interviewer talks at length and asks without
#: question marks often: who is who cannot be told, so both roles stay unknown.
XINAN = (
    "说话人 1 00:07\n我先讲一下我们这个项目的背景，网格员的工作我们看了很多材料。\n\n"
    "说话人 2 00:20\n好的，我们社区设了卡口，网格员二十四小时值守。\n\n"
    "说话人 1 00:45\n我们也注意到有些社区有谣言，大家都很辛苦吧？\n\n"
    "说话人 2 01:02\n是的，菜价的谣言我们马上辟谣了，您看还有什么问题吗？\n"
)
CHAIJI = "采访者：疫情期间社区是怎么做的？\n受访者：我们在小区门口设了卡口。\n"


def speakers(cli: Cli, *args: str) -> list[dict[str, object]]:
    result = cli("speakers", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def roles_by_speaker(cli: Cli, document: str) -> dict[str, list[str | None]]:
    rows = json.loads(cli("segments", "--doc", document, "--format", "json").stdout)
    roles: dict[str, list[str | None]] = {}
    for row in rows:
        roles.setdefault(row["speaker"], []).append(row["role"])
    return roles


def test_unknown_roles_are_reported_listed_and_set(cli: Cli, tmp_path: Path) -> None:
    xinan = write(tmp_path / "xinan.txt", XINAN)
    chaiji = write(tmp_path / "chaiji.txt", CHAIJI)
    result = cli("import", str(xinan), str(chaiji))
    assert result.exit_code == 0
    assert (
        "roles unknown  xinan.txt: see 'qualcode speakers --doc xinan.txt', then "
        "'qualcode speakers set LABEL interviewer --doc xinan.txt'"
    ) in result.stderr.splitlines()
    assert "chaiji.txt:" not in result.stderr.replace(str(chaiji), "")
    documents = json.loads(cli("docs", "list", "--format", "json").stdout)
    assert {row["document"]: row["roles"] for row in documents} == {
        "xinan.txt": "2 of 2 unknown",
        "chaiji.txt": "known",
    }
    rows = speakers(cli)
    assert [(row["document"], row["speaker"], row["role"], row["decided"]) for row in rows] == [
        ("xinan.txt", "说话人 1", None, "unknown"),
        ("xinan.txt", "说话人 2", None, "unknown"),
        ("chaiji.txt", "采访者", "interviewer", "label"),
        ("chaiji.txt", "受访者", "respondent", "label"),
    ]
    first = rows[0]
    assert (first["turns"], first["characters"]) == (
        2,
        len("我先讲一下我们这个项目的背景，网格员的工作我们看了很多材料。")
        + len("我们也注意到有些社区有谣言，大家都很辛苦吧？"),
    )
    assert first["first_words"] == "我先讲一下我们这个项目的背景，网格员的工作我们…"
    assert rows[1]["question_share"] == 0.5

    result = cli("speakers", "set", "说话人 1", "interviewer")
    assert (result.exit_code, result.stderr) == (
        0,
        "说话人 1: interviewer in xinan.txt (2 segments changed; "
        "1 other speakers made respondents).\n",
    )
    assert roles_by_speaker(cli, "xinan.txt") == {
        "说话人 1": ["interviewer", "interviewer"],
        "说话人 2": ["respondent", "respondent"],
    }
    assert [(row["role"], row["decided"]) for row in speakers(cli, "--doc", "xinan.txt")] == [
        ("interviewer", "set"),
        ("respondent", "set"),
    ]
    documents = json.loads(cli("docs", "list", "--format", "json").stdout)
    assert documents[0]["roles"] == "known"

    undone = cli("undo")
    assert undone.exit_code == 0, undone.stderr
    assert roles_by_speaker(cli, "xinan.txt") == {
        "说话人 1": [None, None],
        "说话人 2": [None, None],
    }
    assert [row["decided"] for row in speakers(cli, "--doc", "xinan.txt")] == ["unknown"] * 2


def test_auto_coding_follows_roles_set_by_hand(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write(tmp_path / "xinan.txt", XINAN)))
    cli("codebook", "load", str(write(tmp_path / "mini.yml", CODEBOOK)))
    cli("speakers", "set", "说话人 2", "respondent", "--doc", "xinan.txt")
    cli("speakers", "set", "说话人 1", "interviewer", "--doc", "xinan.txt")
    assert cli("autocode").exit_code == 0
    codings = json.loads(cli("quotes", "--format", "json").stdout)
    assert codings  # respondent turns are coded ...
    segments = json.loads(cli("segments", "--doc", "xinan.txt", "--format", "json").stdout)
    respondent_ids = {row["segment_id"] for row in segments if row["role"] == "respondent"}
    assert {row["segment_id"] for row in codings} <= respondent_ids  # ... and only they


def test_import_sets_roles_of_the_labels_named(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "xinan.txt", XINAN)
    result = cli("import", str(path), "--interviewer", "说话人 1")
    assert result.exit_code == 0
    assert "roles unknown" not in result.stderr
    assert roles_by_speaker(cli, "xinan.txt") == {
        "说话人 1": ["interviewer", "interviewer"],
        "说话人 2": ["respondent", "respondent"],
    }
    assert [row["decided"] for row in speakers(cli)] == ["set", "set"]


def test_bad_speakers_set_is_one_line_and_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write(tmp_path / "xinan.txt", XINAN)))
    before = speakers(cli)
    for args, expected in [
        (
            ("Jane", "interviewer"),
            "Error: no speaker 'Jane' in any document (see 'qualcode speakers')\n",
        ),
        (
            ("说话人 1", "interviewer", "--doc", "nope.txt"),
            "Error: no document 'nope.txt' (see 'qualcode docs list')\n",
        ),
    ]:
        result = cli("speakers", "set", *args)
        assert (result.exit_code, result.stderr) == (1, expected)
    result = cli("speakers", "set", "说话人 1", "boss")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: unknown role 'boss': use interviewer or respondent\n",
    )
    assert speakers(cli) == before
    # Only the import is in the journal: nothing was set.
    assert [entry["kind"] for entry in json.loads(cli("history", "--format", "json").stdout)] == [
        "import"
    ]
