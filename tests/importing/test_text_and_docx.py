"""Free-text and Word readers, and the dispatch by extension, on real files in tmp_path.

Word documents are made with python-docx; the few features its API cannot write (tracked
changes, ruby, content controls) are added as the WordprocessingML Word itself writes.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.document import Document as DocumentObject
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from qualcode.errors import InputError
from qualcode.importing.docx import read_docx
from qualcode.importing.readers import SUPPORTED_SUFFIXES, is_supported, read_file
from qualcode.importing.text import read_text
from qualcode.models import ReadResult

INTERVIEW = (
    "采访者：您好，请先介绍一下您在社区的工作。\n"
    "受访者：我是网格员，主要负责三个小区的走访和信息登记。\n"
    "\n"
    "采访者：平时遇到问题怎么处理？\n"
    "受访者：有问题及时向社区报告，大的事情由街道协调。\n"
)


def save(document: DocumentObject, path: Path) -> Path:
    document.save(str(path))
    return path


def append_to_body(document: DocumentObject, xml: str) -> None:
    """Append raw WordprocessingML to the body, before its closing section properties."""
    body = document.element.body
    body.insert(len(body) - 1, parse_xml(xml))


def assert_input_error(path: Path, *fragments: str) -> str:
    """Reading ``path`` raises one line that names the file and contains every fragment."""
    with pytest.raises(InputError) as error:
        read_file(path)
    message = str(error.value)
    assert message.startswith(str(path))
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    return message


# --- free text -------------------------------------------------------------------------------


def test_text_file_in_gbk_with_crlf(tmp_path: Path) -> None:
    path = tmp_path / "社区A访谈.txt"
    path.write_bytes(INTERVIEW.replace("\n", "\r\n").encode("gbk"))
    result = read_file(path)
    assert result == ReadResult(text=INTERVIEW, encoding="gb18030", source_format="txt", turns=None)


def test_markdown_is_kept_as_written(tmp_path: Path) -> None:
    text = "# 访谈记录\n\n**采访者**：社区有多少网格员？\n\n**受访者**：一共八个。\n"
    path = tmp_path / "interview.md"
    path.write_text(text, encoding="utf-8")
    result = read_file(path)
    assert (result.text, result.encoding, result.source_format) == (text, "utf-8", "md")
    assert result.turns is None


def test_extension_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "INTERVIEW.TXT"
    path.write_bytes(b"\xef\xbb\xbf" + INTERVIEW.encode("utf-8"))
    result = read_file(path)
    assert (result.text, result.encoding, result.source_format) == (INTERVIEW, "utf-8-sig", "txt")


def test_text_reader_keeps_leading_and_trailing_blank_lines(tmp_path: Path) -> None:
    text = "\n\n  采访者：好的。\n\n\n"
    result = read_text(tmp_path / "interview.txt", text.encode("utf-8"))
    assert result.text == text


@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.docx", "empty.srt", "e.csv"])
def test_zero_byte_file_is_empty(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    assert_input_error(path, "is empty", "0 bytes")


@pytest.mark.parametrize(
    "data",
    [b"   \n\n\t  \r\n", "\u3000\u3000\n".encode(), "\n \n".encode("utf-16"), b"\xef\xbb\xbf"],
    ids=["spaces-and-newlines", "ideographic-spaces", "utf-16-whitespace", "bom-only"],
)
def test_whitespace_only_text_file_is_empty(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(data)
    assert_input_error(path, "is empty")


def test_png_renamed_to_txt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(64))
    assert_input_error(path, "PNG image")


def test_binary_with_nul_bytes_renamed_to_txt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(bytes(random.Random(3).randrange(256) for _ in range(512)) + b"\x00")
    assert_input_error(path, "binary")


def test_undecodable_text_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "interview.txt"
    path.write_bytes(b"interview \xff\xff\x81")
    assert_input_error(path, "cannot decode", "save it as UTF-8")


# --- dispatch --------------------------------------------------------------------------------


def test_supported_suffixes() -> None:
    assert set(SUPPORTED_SUFFIXES) == {".txt", ".md", ".docx", ".srt", ".vtt", ".csv"}
    assert is_supported(Path("a/b/社区A.DOCX"))
    assert is_supported("interview.vtt")
    assert not is_supported(Path("interview.pdf"))
    assert not is_supported(Path("README"))
    assert not is_supported(Path(".txt"))  # a hidden file named ".txt" has no extension


def test_unknown_extension_lists_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "interview.pdf"
    path.write_bytes(b"%PDF-1.7\n")
    message = assert_input_error(path, "unsupported file type '.pdf'")
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in message


def test_old_word_file_gets_a_conversion_hint(tmp_path: Path) -> None:
    path = tmp_path / "interview.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    assert_input_error(path, "unsupported file type '.doc'", "save it as .docx")


def test_file_without_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "interview"
    path.write_text(INTERVIEW, encoding="utf-8")
    assert_input_error(path, "has no file extension", ".txt")


def test_missing_file_and_folder_cannot_be_read(tmp_path: Path) -> None:
    assert_input_error(tmp_path / "missing.txt", "cannot be read")
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert_input_error(folder, "cannot be read")


def outcome(read: Callable[[], ReadResult]) -> ReadResult | str:
    """A reader's result, or the message of the InputError it raised."""
    try:
        return read()
    except InputError as error:
        return str(error)


@pytest.mark.parametrize(
    ("name", "content", "module_name", "function_name"),
    [
        (
            "interview.srt",
            "1\n00:00:01,000 --> 00:00:04,000\n社区网格员每天走访居民。\n",
            "qualcode.importing.subtitles",
            "read_srt",
        ),
        (
            "interview.vtt",
            "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n社区网格员每天走访居民。\n",
            "qualcode.importing.subtitles",
            "read_vtt",
        ),
        (
            "interview.csv",
            "speaker,text\n网格员,社区网格员每天走访居民。\n",
            "qualcode.importing.table",
            "read_turn_table",
        ),
    ],
)
def test_structured_formats_go_to_their_readers(
    tmp_path: Path, name: str, content: str, module_name: str, function_name: str
) -> None:
    module = pytest.importorskip(module_name)
    path = tmp_path / name.upper()  # the extension is matched case-insensitively
    path.write_text(content, encoding="utf-8")
    reader = getattr(module, function_name)
    assert outcome(lambda: read_file(path)) == outcome(lambda: reader(path, path.read_bytes()))


# --- Word ------------------------------------------------------------------------------------


def test_docx_paragraphs_and_a_table_in_body_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("采访者：您好，请先介绍一下社区的基本情况。")
    document.add_paragraph("")
    document.add_paragraph("受访者：我们社区有四个网格，下面是分工。")
    table = document.add_table(rows=3, cols=2)
    for row, (first, second) in enumerate(
        [("网格", "网格员"), ("一网格", "张丽"), ("二网格", "王建国")]
    ):
        table.cell(row, 0).text = first
        table.cell(row, 1).text = second
    document.add_paragraph("采访者：网格员平时做什么？")
    document.add_paragraph("")
    path = save(document, tmp_path / "社区B访谈.docx")

    result = read_file(path)

    assert result.text == (
        "采访者：您好，请先介绍一下社区的基本情况。\n"
        "\n"
        "受访者：我们社区有四个网格，下面是分工。\n"
        "网格\t网格员\n"
        "一网格\t张丽\n"
        "二网格\t王建国\n"
        "采访者：网格员平时做什么？\n"
    )
    assert (result.encoding, result.source_format, result.turns) == ("docx", "docx", None)


def test_docx_runs_soft_breaks_and_tabs(tmp_path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("受访者：")
    paragraph.add_run("疫情期间").bold = True
    paragraph.add_run("我们每天上门。")
    paragraph.add_run().add_break()
    paragraph.add_run("第二行\t带制表符")
    path = save(document, tmp_path / "interview.docx")
    assert read_file(path).text == "受访者：疫情期间我们每天上门。\n第二行\t带制表符"


def test_docx_cells_stay_on_one_line(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    speaker, speech = table.rows[0].cells
    speaker.text = "采访者"
    speech.text = "请讲讲加装电梯的事。"
    speaker, speech = table.rows[1].cells
    speaker.text = "受访者"
    speech.text = "居民意见很大。"
    speech.add_paragraph("")
    speech.add_paragraph("  低楼层的不同意，\t高楼层的很着急。  ")
    speech.paragraphs[-1].add_run().add_break()
    speech.paragraphs[-1].add_run("后来开了三次协调会。")
    path = save(document, tmp_path / "interview.docx")
    assert read_file(path).text == (
        "采访者\t请讲讲加装电梯的事。\n"
        "受访者\t居民意见很大。 低楼层的不同意， 高楼层的很着急。   后来开了三次协调会。"
    )


def test_docx_merged_cells_are_not_duplicated(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    for row in range(3):
        for column in range(3):
            table.cell(row, column).text = f"格{row}{column}"
    table.cell(0, 0).merge(table.cell(0, 1))  # horizontal: one cell spanning two columns
    table.cell(1, 2).merge(table.cell(2, 2))  # vertical: text moves to the first row
    path = save(document, tmp_path / "interview.docx")
    assert read_file(path).text == "格00 格01\t格02\n格10\t格11\t格12 格22\n格20\t格21\t"


def test_docx_nested_table_joins_into_its_cell(tmp_path: Path) -> None:
    document = docx.Document()
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "日程"
    inner = outer.cell(0, 1).add_table(rows=2, cols=2)
    inner.cell(0, 0).text = "上午"
    inner.cell(0, 1).text = "走访"
    inner.cell(1, 0).text = "下午"
    inner.cell(1, 1).text = "台账"
    path = save(document, tmp_path / "interview.docx")
    # python-docx starts every cell with an empty paragraph; empty ones are dropped.
    assert read_file(path).text == "日程\t上午 走访 下午 台账"


def test_docx_reads_what_word_shows(tmp_path: Path) -> None:
    document = docx.Document()
    append_to_body(
        document,
        f"""<w:p {nsdecls("w")}>
              <w:r><w:t>网格员</w:t></w:r>
              <w:ins w:id="1" w:author="Coder" w:date="2024-05-01T00:00:00Z">
                <w:r><w:t xml:space="preserve">每周</w:t></w:r>
              </w:ins>
              <w:del w:id="2" w:author="Coder" w:date="2024-05-01T00:00:00Z">
                <w:r><w:delText>偶尔</w:delText></w:r>
              </w:del>
              <w:r><w:t>上门</w:t></w:r>
              <w:r><w:fldChar w:fldCharType="begin"/></w:r>
              <w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>
              <w:r><w:fldChar w:fldCharType="separate"/></w:r>
              <w:r><w:t>3</w:t></w:r>
              <w:r><w:fldChar w:fldCharType="end"/></w:r>
              <w:r><w:t>次，</w:t></w:r>
              <w:r><w:ruby><w:rubyPr/><w:rt><w:r><w:t>wǎng</w:t></w:r></w:rt>
                <w:rubyBase><w:r><w:t>网</w:t></w:r></w:rubyBase></w:ruby></w:r>
              <w:r><w:t>格化管理</w:t></w:r>
              <w:r><w:noBreakHyphen/><w:t>很重要。</w:t></w:r>
            </w:p>""",
    )
    append_to_body(
        document,
        f"""<w:sdt {nsdecls("w")}><w:sdtPr><w:alias w:val="答"/></w:sdtPr>
              <w:sdtContent><w:p><w:r><w:t>内容控件里的回答。</w:t></w:r></w:p></w:sdtContent>
            </w:sdt>""",
    )
    document.sections[0].header.paragraphs[0].text = "访谈记录（页眉，不属于访谈）"
    path = save(document, tmp_path / "interview.docx")
    assert read_file(path).text == "网格员每周上门3次，网格化管理-很重要。\n内容控件里的回答。"


def test_docx_text_is_nfc(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Cafe\u0301 owner on the community board")
    path = save(document, tmp_path / "interview.docx")
    assert read_file(path).text == "Café owner on the community board"


@pytest.mark.parametrize(
    "paragraphs", [[], ["", ""], ["   ", "\u3000\u3000"]], ids=["none", "empty", "spaces"]
)
def test_docx_without_text_is_empty(tmp_path: Path, paragraphs: list[str]) -> None:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path = save(document, tmp_path / "blank.docx")
    assert_input_error(path, "is empty")


def valid_docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph(INTERVIEW)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rewrite_package(data: bytes, replace: dict[str, bytes | None]) -> bytes:
    """Copy a ZIP package, replacing (bytes) or dropping (None) the named parts."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = replace.get(name, source.read(name))
            if content is not None:
                target.writestr(name, content)
    return output.getvalue()


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make_bytes", "fragment"),
    [
        (
            lambda: bytes(random.Random(5).randrange(256) for _ in range(4096)),
            "not a valid .docx",
        ),
        (lambda: valid_docx_bytes()[:2000], "not a valid .docx"),
        (lambda: valid_docx_bytes()[:-30], "not a valid .docx"),
        (lambda: INTERVIEW.encode("utf-8"), "not a valid .docx"),
        (
            lambda: rewrite_package(valid_docx_bytes(), {"word/document.xml": None}),
            "part of the package is missing",
        ),
        (
            lambda: rewrite_package(valid_docx_bytes(), {"[Content_Types].xml": None}),
            "part of the package is missing",
        ),
        (
            lambda: rewrite_package(
                valid_docx_bytes(), {"word/document.xml": b"<w:document><w:body>"}
            ),
            "damaged content",
        ),
        (xlsx_bytes, "not a Word document"),
        (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "save it as .docx"),
    ],
    ids=[
        "random-bytes",
        "truncated-start",
        "truncated-end",
        "plain-text",
        "no-document-part",
        "no-content-types",
        "broken-xml",
        "xlsx-renamed",
        "old-doc-renamed",
    ],
)
def test_corrupt_docx_is_refused(
    tmp_path: Path, make_bytes: Callable[[], bytes], fragment: str
) -> None:
    path = tmp_path / "interview.docx"
    path.write_bytes(make_bytes())
    assert_input_error(path, fragment)


def test_docx_reader_refuses_zero_bytes_itself(tmp_path: Path) -> None:
    path = tmp_path / "empty.docx"
    with pytest.raises(InputError, match=r"empty\.docx: is empty \(0 bytes\)"):
        read_docx(path, b"")
