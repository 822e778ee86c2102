"""REFI-QDA codebooks (``.qdc``), and the code tree REFI-QDA projects share with them.

``qualcode codebook export --format qdc`` writes the current codebook as a REFI-QDA 1.0
codebook (``urn:QDA-XML:codebook:1.0``, valid against ``Codebook.xsd``); ``qualcode codebook
load FILE.qdc`` reads one from NVivo, ATLAS.ti, MAXQDA or QualCoder.

What a code carries. REFI-QDA has a name, a description, a colour and ``isCodable``; it has no
place for qualcode's dotted ids, the second language or keyword rules. So a code's
``Description`` holds its Chinese and English descriptions as text, then a last line
``qualcode: {...}``: JSON with the dotted id, both names and both descriptions (and, in a
``.qdpx`` project export, the keyword rules). Another tool shows that line as text and usually
keeps it; reading it back restores the code exactly.

A ``.qdc`` carries **no keyword rules** (the export says so). Loading a ``.qdc`` into a project
keeps the rules the project's codebook already has for the same code ids, so a codebook edited
in another tool and loaded back loses nothing.

Codes from other tools get ids made from their names: accents dropped, lower case, runs of other
characters as ``_`` (``2. Attitűd szint`` -> ``2_attitud_szint``); a name with no Latin letters
or digits (Chinese, say) becomes ``code``; siblings that would share an id get ``_2``, ``_3``.
Names and descriptions are filed as Chinese when they contain Han characters, else as English.

XML is read safely (:func:`iterate_xml`): lxml with entity resolution and network access off,
and a file that declares a DTD at all is refused before parsing (internal entities are how
"billion laughs" bombs are built; REFI-QDA never needs them).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualcode.codebook.model import Code, Codebook
from qualcode.errors import InputError
from qualcode.models import SCOPES, CodeRules, Proximity

PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
CODEBOOK_NAMESPACE = "urn:QDA-XML:codebook:1.0"
#: The last line of a code's Description that carries what REFI-QDA has no place for.
TRAILER_PREFIX = "qualcode: "
_QUALCODE_NAMESPACE = uuid.UUID("6f1c2a3e-5b0d-4f6e-9c1a-8d2b7e4f0a11")
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_SLUG = re.compile(r"[a-z0-9_]+")
_GUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}"
)


@dataclass(slots=True)
class QdaCode:
    """A code of the code tree; ``children`` in document order."""

    guid: str
    name: str
    is_codable: bool
    description: str | None = None
    color: str | None = None
    children: list[QdaCode] = field(default_factory=list)
    note_guids: list[str] = field(default_factory=list)

    def walk(self) -> Iterator[tuple[QdaCode, QdaCode | None]]:
        """This code and every code below it, depth first, each with its parent."""
        stack: list[tuple[QdaCode, QdaCode | None]] = [(self, None)]
        while stack:
            code, parent = stack.pop()
            yield code, parent
            stack.extend((child, code) for child in reversed(code.children))


class Guids:
    """Stable GUIDs: UUID 5 of ``kind:identity`` in the project's namespace.

    Computed as :func:`uuid.uuid5` does (SHA-1, version and variant bits) without building a
    ``UUID`` object: an export of a million codings makes two million of them. GUIDs of users
    and codes, asked for once per coding, are remembered.
    """

    def __init__(self, project_name: str) -> None:
        self.namespace = uuid.uuid5(_QUALCODE_NAMESPACE, f"project:{project_name}")
        self.prefix = self.namespace.bytes
        self.remembered: dict[tuple[str, object], str] = {}

    def __call__(self, kind: str, identity: object) -> str:
        digest = bytearray(hashlib.sha1(self.prefix + f"{kind}:{identity}".encode()).digest())
        digest[6] = (digest[6] & 0x0F) | 0x50
        digest[8] = (digest[8] & 0x3F) | 0x80
        text = digest[:16].hex()
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    def remembered_guid(self, kind: str, identity: object) -> str:
        """The same GUID as calling, cached (for the few users and codes)."""
        key = (kind, identity)
        guid = self.remembered.get(key)
        if guid is None:
            guid = self.remembered[key] = self(kind, identity)
        return guid


def code_trailer(code: Code, *, with_rules: bool) -> str:
    """The ``qualcode: {...}`` line of a code's Description (see the module docstring)."""
    data: dict[str, Any] = {"id": code.code_id}
    for key, value in (
        ("name_zh", code.name_zh), ("name_en", code.name_en),
        ("description_zh", code.description_zh), ("description_en", code.description_en),
    ):  # fmt: skip
        if value:
            data[key] = value
    if with_rules:
        rules = {
            "keywords": list(code.rules.keywords), "exclude": list(code.rules.exclude),
            "patterns": list(code.rules.patterns), "lemmas": list(code.rules.lemmas),
            "prefixes": list(code.rules.prefixes),
            "proximity": [
                {"kind": rule.kind, "terms": list(rule.terms), "within": rule.within}
                for rule in code.rules.proximity
            ],
        }  # fmt: skip
        data.update({key: value for key, value in rules.items() if value})
        if code.rules.scope != "respondent":
            data["scope"] = code.rules.scope
    return TRAILER_PREFIX + json.dumps(data, ensure_ascii=False, sort_keys=True)


def code_description(code: Code, *, with_rules: bool) -> str:
    parts = [text for text in (code.description_zh, code.description_en) if text]
    return "\n\n".join([*parts, code_trailer(code, with_rules=with_rules)])


def code_name(code: Code) -> str:
    return code.name_zh or code.name_en or code.slug


def write_code_tree(
    writer: Any,
    codebook: Codebook,
    guids: Guids,
    namespace: str,
    *,
    with_rules: bool,
    codable: Callable[[Code], bool],
    note_guids: dict[str, list[str]] | None = None,
) -> None:
    """Write ``<Codes>`` with every code nested under its parent (Project and Codebook share
    the element shapes, in their own namespaces)."""

    def element(name: str) -> str:
        return f"{{{namespace}}}{name}"

    children: dict[str | None, list[Code]] = {}
    for code in codebook:
        children.setdefault(code.parent_id, []).append(code)

    def write(code: Code) -> None:
        attributes = {
            "guid": guids("code", code.code_id),
            "name": code_name(code),
            "isCodable": "true" if codable(code) else "false",
        }
        if code.color and _COLOR.fullmatch(code.color):
            attributes["color"] = code.color
        with writer.element(element("Code"), attributes):
            text_leaf(writer, element("Description"), code_description(code, with_rules=with_rules))
            for note in (note_guids or {}).get(code.code_id, []):
                leaf(writer, element("NoteRef"), {"targetGUID": note})
            for child in children.get(code.code_id, []):
                write(child)

    with writer.element(element("Codes")):
        for theme in children.get(None, []):
            write(theme)


def leaf(writer: Any, tag: str, attributes: dict[str, str] | None = None) -> None:
    """An empty element, written inside the open namespace (no repeated ``xmlns``)."""
    with writer.element(tag, attributes or {}):
        pass


def text_leaf(writer: Any, tag: str, text: str) -> None:
    with writer.element(tag):
        writer.write(text)


def refuse_doctype(path: Path, prefix: bytes) -> None:
    """Refuse XML whose prolog declares a DTD (see the module docstring)."""
    for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
        doctype = "<!DOCTYPE".encode(encoding)
        if doctype in prefix or "<!ENTITY".encode(encoding) in prefix:
            position = prefix.find(doctype)
            root = re.search(b"<[A-Za-z_]" if encoding == "utf-8" else b"<\x00[A-Za-z_]", prefix)
            if position == -1 or root is None or position < root.start():
                raise InputError(
                    path,
                    "refused: the XML declares a DTD or entities (never needed in REFI-QDA; "
                    "the way XML bombs are built)",
                )


def iterate_xml(
    path: Path,
    stream: Any,
    events: tuple[str, ...] = ("start", "end"),
    tags: tuple[str, ...] | None = None,
) -> Iterator[tuple[str, Any]]:
    """(event, element) pairs of a safe lxml ``iterparse`` (only elements named in ``tags``,
    any namespace, when given); XML errors become one line."""
    from lxml import etree

    head = stream.read(65536)
    refuse_doctype(path, head)
    rest = _Prefixed(head, stream)
    try:
        yield from etree.iterparse(
            rest,
            events=events,
            tag=None if tags is None else [f"{{*}}{name}" for name in tags],
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
            remove_comments=True,
            remove_pis=True,
        )
    except etree.XMLSyntaxError as error:
        line = error.lineno if error.lineno else None
        # libxml2 may put the position on a second line; the line number is given already.
        reason = (str(error.msg).splitlines() or ["unreadable"])[0].strip()
        raise InputError(path, f"is not well-formed XML: {reason}", line=line) from error


class _Prefixed:
    """A stream that first returns ``head`` (already read), then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: Any) -> None:
        self.head = head
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return bytes(self.stream.read(size))
        if 0 <= size < len(self.head):
            head, self.head = self.head[:size], self.head[size:]
            return head
        head, self.head = self.head, b""
        return head + bytes(self.stream.read(-1 if size < 0 else size - len(head)))


# --------------------------------------------------------------------------------------------
# From a REFI-QDA code tree to a qualcode codebook


def split_trailer(description: str | None) -> tuple[str | None, dict[str, Any] | None]:
    """The human part of a Description and the ``qualcode: {...}`` data of its last line."""
    if not description:
        return None, None
    lines = description.rstrip().split("\n")
    if lines[-1].startswith(TRAILER_PREFIX):
        try:
            data = json.loads(lines[-1][len(TRAILER_PREFIX) :])
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            human = "\n".join(lines[:-1]).strip()
            return human or None, data
    return description.strip() or None, None


def slug_of(name: str) -> str:
    """An id part from a name in any script (see the module docstring)."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", ascii_only).strip("_") or "code"


def _by_script(text: str | None) -> tuple[str | None, str | None]:
    if not text:
        return None, None
    return (text, None) if _HAN.search(text) else (None, text)


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str) and item.strip())
    return ()


@dataclass
class _Draft:
    code_id: str
    parent_id: str | None
    name_zh: str | None
    name_en: str | None
    description_zh: str | None
    description_en: str | None
    color: str | None
    rules: CodeRules


@dataclass
class CodeTreeResult:
    """A codebook built from a REFI-QDA code tree, and which code id each GUID became."""

    codebook: Codebook
    code_ids: dict[str, str] = field(default_factory=dict)


def codes_to_codebook(
    roots: list[QdaCode],
    *,
    name: str,
    existing: Codebook | None = None,
    merge: bool = False,
    with_rules: bool = True,
) -> CodeTreeResult:
    """Turn a REFI-QDA code tree into a codebook.

    ``existing`` is the project's current codebook: its rules are kept for codes whose ids come
    back, and with ``merge`` its other codes stay too (importing a project adds to the
    codebook; loading a ``.qdc`` replaces it). ``with_rules``: take keyword rules from the
    ``qualcode:`` line when it has them (a ``.qdpx`` from qualcode).
    """
    drafts: dict[str, _Draft] = {}
    children: dict[str | None, list[str]] = {}
    if existing is not None and merge:
        for code in existing:
            drafts[code.code_id] = _Draft(
                code.code_id, code.parent_id, code.name_zh, code.name_en, code.description_zh,
                code.description_en, code.color, code.rules,
            )  # fmt: skip
            children.setdefault(code.parent_id, []).append(code.code_id)
    existing_rules = {code.code_id: code.rules for code in existing or ()}
    assigned: set[str] = set()
    code_ids: dict[str, str] = {}

    def visit(code: QdaCode, parent_id: str | None) -> None:
        human, data = split_trailer(code.description)
        slug = slug_of(code.name)
        if data is not None and isinstance(data.get("id"), str):
            wanted = data["id"]
            parts = wanted.split(".")
            if (
                all(_SLUG.fullmatch(part) for part in parts)
                and (".".join(parts[:-1]) or None) == parent_id
            ):
                slug = parts[-1]
        code_id = f"{parent_id}.{slug}" if parent_id else slug
        number = 2
        while code_id in assigned:
            code_id = f"{parent_id}.{slug}_{number}" if parent_id else f"{slug}_{number}"
            number += 1
        assigned.add(code_id)
        code_ids[code.guid] = code_id
        name_zh, name_en = _by_script(code.name or None)
        description_zh, description_en = _by_script(human)
        rules = existing_rules.get(code_id, CodeRules(code_id=code_id))
        if data is not None:
            name_zh = data.get("name_zh") if isinstance(data.get("name_zh"), str) else None
            name_en = data.get("name_en") if isinstance(data.get("name_en"), str) else None
            if not (name_zh or name_en):
                name_zh, name_en = _by_script(code.name or None)
            description_zh = _text_or_none(data.get("description_zh"))
            description_en = _text_or_none(data.get("description_en"))
            if with_rules and any(key in data for key in _RULE_KEYS):
                scope = data.get("scope", "respondent")
                rules = CodeRules(
                    code_id=code_id, keywords=_strings(data.get("keywords")),
                    exclude=_strings(data.get("exclude")), patterns=_strings(data.get("patterns")),
                    lemmas=_strings(data.get("lemmas")),
                    scope=scope if scope in SCOPES else "respondent",
                    prefixes=_strings(data.get("prefixes")),
                    proximity=_proximity(data.get("proximity")),
                )  # fmt: skip
        color = code.color if code.color and _COLOR.fullmatch(code.color) else None
        if code_id not in drafts:
            children.setdefault(parent_id, []).append(code_id)
        drafts[code_id] = _Draft(
            code_id, parent_id, name_zh, name_en, description_zh, description_en, color, rules
        )
        for child in code.children:
            visit(child, code_id)

    for root in roots:
        visit(root, None)
    ordered: list[Code] = []

    def emit(parent_id: str | None, depth: int) -> None:
        for code_id in children.get(parent_id, []):
            draft = drafts[code_id]
            ordered.append(
                Code(
                    code_id=code_id,
                    parent_id=parent_id,
                    name_zh=draft.name_zh,
                    name_en=draft.name_en,
                    description_zh=draft.description_zh,
                    description_en=draft.description_en,
                    rules=draft.rules,
                    depth=depth,
                    order=len(ordered),
                    color=draft.color,
                )
            )
            emit(code_id, depth + 1)

    emit(None, 0)
    codebook = Codebook(
        name=existing.name if existing is not None and merge else name,
        version_label=existing.version_label if existing is not None and merge else None,
        language=None, description_zh=None, description_en=None, codes=tuple(ordered),
    )  # fmt: skip
    return CodeTreeResult(codebook, code_ids)


_RULE_KEYS = ("keywords", "exclude", "patterns", "lemmas", "prefixes", "proximity")


def _proximity(value: object) -> tuple[Proximity, ...]:
    """Proximity rules from the ``qualcode:`` line; malformed entries are left out."""
    rules: list[Proximity] = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict) or item.get("kind") not in ("all_of", "near"):
            continue
        terms = _strings(item.get("terms"))
        within = item.get("within")
        if len(terms) >= 2 and (within is None or isinstance(within, int)):
            rules.append(Proximity(item["kind"], terms, within))
    return tuple(rules)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


# --------------------------------------------------------------------------------------------
# .qdc files


def read_qdc_tree(path: Path) -> list[QdaCode]:
    """The code tree of a ``.qdc`` file (or of the ``CodeBook`` inside a ``.qde``)."""
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputError(path, f"cannot be read: {error.strerror or error}") from error
    roots: list[QdaCode] = []
    stack: list[QdaCode] = []
    root_name = None
    with handle:
        for event, element in iterate_xml(path, handle):
            name = _local(element.tag)
            if root_name is None:
                root_name = name
                if name not in ("CodeBook", "Project"):
                    raise InputError(
                        path, f"is not a REFI-QDA codebook (root element <{name}>)", line=1
                    )
                continue
            if name == "Code" and event == "start":
                guid = (element.get("guid") or "").strip().strip("{}").lower()
                if not guid:
                    raise InputError(path, "<Code> has no guid", line=element.sourceline)
                code = QdaCode(
                    guid=guid, name=(element.get("name") or "").strip(),
                    is_codable=(element.get("isCodable", "true").strip().lower() in ("true", "1")),
                    color=element.get("color"),
                )  # fmt: skip
                (stack[-1].children if stack else roots).append(code)
                stack.append(code)
            elif name == "Code" and stack:
                stack.pop()
            elif name == "Description" and event == "end" and stack:
                parent = element.getparent()
                if parent is not None and _local(parent.tag) == "Code":
                    stack[-1].description = (element.text or "").strip() or None
    if root_name is None:
        raise InputError(path, "is empty: no <CodeBook> element")
    if not roots:
        raise InputError(path, "has no codes")
    return roots


def read_qdc(path: str | Path, existing: Codebook | None = None) -> Codebook:
    """Read a ``.qdc`` codebook; ``existing`` supplies rules for codes whose ids it keeps."""
    path = Path(path)
    roots = read_qdc_tree(path)
    return codes_to_codebook(roots, name=path.stem, existing=existing, with_rules=False).codebook


def codebook_to_qdc(codebook: Codebook) -> str:
    """``codebook`` as a REFI-QDA codebook document (rules are not carried: see the module
    docstring). GUIDs are UUID 5 of the code ids, so exporting twice gives the same file."""
    import io

    from lxml import etree

    from qualcode._version import __version__

    guids = Guids(f"codebook:{codebook.name}")
    parents = {code.parent_id for code in codebook}
    buffer = io.BytesIO()
    with etree.xmlfile(buffer, encoding="utf-8") as writer:
        writer.write_declaration()
        root = f"{{{CODEBOOK_NAMESPACE}}}CodeBook"
        origin = {"origin": f"qualcode {__version__}"}
        with writer.element(root, origin, nsmap={None: CODEBOOK_NAMESPACE}):
            write_code_tree(
                writer, codebook, guids, CODEBOOK_NAMESPACE, with_rules=False,
                codable=lambda code: code.code_id not in parents,
            )  # fmt: skip
    return buffer.getvalue().decode("utf-8") + "\n"


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""
