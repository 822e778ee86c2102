"""Fuzzing the files users hand to qualcode: transcripts, turn tables and codebooks.

Whatever the bytes, a command ends with exit status 0 or 1 and at most one error line per
file: never a traceback. The CLI runs in-process with exceptions re-raised, so any
unexpected exception fails the test with hypothesis's smallest example. The budget is small
(a few dozen examples each) so the suite stays quick; raise ``max_examples`` to hunt longer.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cli

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Pieces transcripts are made of, hostile ones included.
TRANSCRIPT_PIECES = [
    "采访者：", "受访者：", "Interviewer: ", "R:", "Q：", "【00:01:02】", "[00:00:05] ", "00:03",
    "网格员", "卡口", "社区", "。", "！", "？", "……", "，", "\n", "\n\n", "\r\n", "\t", " ",
    "\u3000", "=HYPERLINK(\"x\")", "+1", "-", "@", "\x1b[31m", "\x1b]0;t\x07", "\x1c", "\x00",
    "\x7f", "\x9b", "\ufeff", "\u2028", "e\u0301", "我们", "We had grid workers.", "：：", "::",
]  # fmt: skip
pieces = st.lists(
    st.one_of(st.sampled_from(TRANSCRIPT_PIECES), st.text(max_size=4)), max_size=40
).map("".join)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030", "big5"])


@st.composite
def transcript_bytes(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=300))
    text = draw(pieces)
    return text.encode(draw(encodings), errors="replace")


COLUMNS = ["time", "start", "end", "speaker", "说话人", "text", "内容", "role", "角色", "x"]
CELLS = st.one_of(
    st.sampled_from(["00:01", "1:02:03,5", "75.5", "soon", "", "受访者", "interviewer", "Q"]),
    pieces,
)


@st.composite
def turn_table(draw: st.DrawFn) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=5))
    rows = draw(st.lists(st.lists(CELLS, max_size=7), max_size=6))
    quote = draw(st.booleans())

    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if quote else value

    lines = [delimiter.join(header)] + [delimiter.join(cell(value) for value in row)
                                        for row in rows]  # fmt: skip
    return "\n".join(lines).encode(draw(encodings), errors="replace")


def check(result_code: int, stderr: str) -> None:
    assert result_code in (0, 1), stderr
    assert "Traceback" not in stderr


_names = itertools.count()


@FUZZ
@given(data=transcript_bytes(), suffix=st.sampled_from([".txt", ".md", ".srt", ".vtt", ".docx"]))
def test_any_transcript_imports_or_fails_with_one_line(
    cli: Cli, tmp_path: Path, data: bytes, suffix: str
) -> None:
    path = tmp_path / f"fuzz{next(_names)}{suffix}"
    path.write_bytes(data)
    result = cli("import", str(path))
    check(result.exit_code, result.stderr)
    if result.exit_code == 1:
        assert f"failed   {path}" in result.stderr


@FUZZ
@given(data=turn_table())
def test_any_turn_table_imports_or_fails_with_one_line(
    cli: Cli, tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / f"fuzz{next(_names)}.csv"
    path.write_bytes(data)
    result = cli("import", str(path))
    check(result.exit_code, result.stderr)


CODEBOOK_PIECES = [
    "name: fuzz\n", "language: zh\n", "codes:\n", "  - id: a\n", "    name: 甲\n",
    "    keywords: [网格员, 卡口]\n", "    patterns: ['(a+)+$']\n", "    patterns: ['网格\\d+']\n",
    "    exclude: [x]\n", "    codes:\n", "      - id: b\n", "&a ", "*a", "&b [*b]",
    "!!python/object/apply:os.system ['true'] ", "!!str ", "!foo ", "!!binary ", "- ", "[",
    "]", "{", "}", ": ", "\n", "  ", "'", '"', "|", "#", ",", "\t", "\ufeff", "id: ",
    "name: {zh: 甲, en: A}\n", "scope: all\n", "code_id,parent_id,name_zh,keywords\n",
    "a,,甲,网格员|卡口\n", "b,a,乙,(\n",
]  # fmt: skip
codebook_text = st.one_of(
    st.lists(st.sampled_from(CODEBOOK_PIECES), max_size=30).map("".join),
    st.integers(40, 1500).map(lambda depth: "codes: " + "[" * depth + "]" * depth),
    st.integers(2, 60).map(
        lambda depth: (
            "codes:\n"
            + "".join(
                "  " * (2 * level) + f"- id: c{level}\n" + "  " * (2 * level + 1) + "codes:\n"
                for level in range(depth)
            )
        )
    ),
)


@FUZZ
@given(text=codebook_text, suffix=st.sampled_from([".yml", ".csv"]))
def test_any_codebook_loads_or_fails_with_file_and_line(
    cli: Cli, tmp_path: Path, text: str, suffix: str
) -> None:
    assert cli("init").exit_code == 0
    path = tmp_path / f"book{next(_names)}{suffix}"
    path.write_text(text, encoding="utf-8")
    result = cli("codebook", "load", str(path))
    check(result.exit_code, result.stderr)
    if result.exit_code == 1:
        assert result.stderr.startswith(f"Error: {path}")
    else:
        autocode = cli("autocode")
        check(autocode.exit_code, autocode.stderr)


#: Pieces of keyword dictionaries: LIWC .dic (a % category block, then words with category
#: numbers) and WordStat .cat (tab-indented categories, ``WORD (1)`` entries).
DICTIONARY_PIECES = [
    "%\n", "%", "1\tfamily\n", "2\t社区\n", "1\t", "x\tbad\n", "family\t1\n", "kin*\t1 2\n",
    "网格*\t2\n", "grid worker\t1\n", "\t1\n", "word\t9\n", "word\t\n", "*\t1\n", "? \t1\n",
    "FAMILY\n", "\tKIN (1)\n", "\tKIN* (1)\n", "\t\t网格员 (1)\n", "\t\tWORD (x)\n",
    "(1)\n", "\r\n", "\r", "\n", "\t", " ", "\ufeff", "\x00", "'", '"', "=cmd", "<", "&",
]  # fmt: skip
dictionary_text = st.lists(
    st.one_of(st.sampled_from(DICTIONARY_PIECES), st.text(max_size=3)), max_size=40
).map("".join)


@FUZZ
@given(text=dictionary_text, suffix=st.sampled_from([".dic", ".cat"]))
def test_any_dictionary_loads_or_fails_with_file_and_line(
    cli: Cli, tmp_path: Path, text: str, suffix: str
) -> None:
    assert cli("init").exit_code == 0
    path = tmp_path / f"dictionary{next(_names)}{suffix}"
    path.write_bytes(text.encode("utf-8", errors="replace"))
    result = cli("codebook", "load", str(path))
    check(result.exit_code, result.stderr)
    if result.exit_code == 1:
        assert result.stderr.startswith(f"Error: {path}")


#: Pieces of a REFI-QDA project file: valid elements, broken ones and hostile ones.
G = "{{00000000-0000-4000-8000-{:012d}}}"
QDE_PIECES = [
    f'<Users><User guid="{G.format(1)}" name="ana"/></Users>',
    f'<CodeBook><Codes><Code guid="{G.format(10)}" name="网格" isCodable="true"/></Codes>'
    "</CodeBook>",
    f'<Cases><Case guid="{G.format(20)}" name="柴机"/></Cases>',
    f'<Sources><TextSource guid="{G.format(50)}" name="talk" plainTextPath="internal://talk.txt">',
    f'<PlainTextSelection guid="{G.format(100)}" startPosition="0" endPosition="2" '
    f'creatingUser="{G.format(1)}">',
    f'<Coding guid="{G.format(101)}"><CodeRef targetGUID="{G.format(10)}"/></Coding>',
    "</PlainTextSelection>", "</TextSource></Sources>",
    f'<PlainTextSelection guid="{G.format(102)}" startPosition="-5" endPosition="x"/>',
    f'<Notes><Note guid="{G.format(30)}" name="memo"><PlainTextContent>=cmd</PlainTextContent>'
    "</Note></Notes>",
    '<!DOCTYPE p [<!ENTITY e "x">]>', "&e;", "<", ">", "&", '"', "<Code>", "</Code>",
    "<Project>", "</Project>", "guid=", "\x00", "\ufeff", "网格员",
]  # fmt: skip


@st.composite
def qdpx_archive(draw: st.DrawFn) -> tuple[bytes, dict[str, bytes]]:
    head = '<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0">'
    body = "".join(draw(st.lists(st.sampled_from(QDE_PIECES), max_size=14)))
    tail = draw(st.sampled_from(["</Project>", ""]))
    members: dict[str, bytes] = {}
    if draw(st.booleans()):
        members["sources/talk.txt"] = draw(pieces).encode("utf-8", errors="replace")
    if draw(st.booleans()):
        members[draw(st.sampled_from(["../evil.txt", "/abs.txt", "sources/x.txt"]))] = b"x"
    return (head + body + tail).encode("utf-8", errors="replace"), members


@FUZZ
@given(archive=qdpx_archive(), qde_name=st.sampled_from(["project.qde", "Project.QDE", "x.xml"]))
def test_any_qdpx_imports_or_fails_with_one_line(
    cli: Cli, tmp_path: Path, archive: tuple[bytes, dict[str, bytes]], qde_name: str
) -> None:
    import zipfile

    assert cli("init").exit_code == 0
    before = cli("docs", "list", "--format", "json").stdout
    path = tmp_path / f"project{next(_names)}.qdpx"
    with zipfile.ZipFile(path, "w") as written:
        written.writestr(qde_name, archive[0])
        for name, data in archive[1].items():
            written.writestr(name, data)
    result = cli("import", "qdpx", str(path))
    check(result.exit_code, result.stderr)
    if result.exit_code == 1:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert cli("docs", "list", "--format", "json").stdout == before
