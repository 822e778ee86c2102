"""Codebook files (YAML and CSV): reading, validation and writing.

A codebook is a tree of codes: themes at the top, codes under them, sub-codes under those, to
any depth. Each code may carry the rules that automatic coding applies
(:class:`qualcode.models.CodeRules`). This module is a pure library: it turns files into a
:class:`~qualcode.codebook.model.Codebook` and back (the model and its content hash live in
:mod:`qualcode.codebook.model`); storing versions in the project is the caller's business.

YAML format (the authoring format; ``codebooks/README.md`` has a worked example)::

    name: community_governance          # optional; defaults to the file name without suffix
    version: "1.0"                      # optional free text, for people (not hashed)
    language: zh                        # optional: zh or en, see "plain strings" below
    description: {zh: ..., en: ...}     # optional: a string or a {zh, en} mapping
    codes:
      - id: grid                        # a theme
        name: {zh: 网格化应急治理, en: Grid emergency governance}
        description: {zh: ..., en: ...}
        keywords: [网格化管理, grid management]
        codes:
          - id: grid_workers            # full id: grid.grid_workers
            name: 网格员
            keywords: [网格员, 网格长, grid worker, grid workers]
            patterns: ['每个网格.{0,8}?社工']
            scope: respondent           # respondent (default) | all | interviewer
            color: "#1f77b4"
          - id: donations             # full id: grid.donations (for the example)
            keywords: [捐赠, donation, donations]
            prefixes: [donat]           # words starting with it: donate, donation, ...
            exclude: [不接受捐赠]          # vetoes the keyword hit it overlaps
            lemmas: [donate]            # English lemmas, matched through spaCy lookups
            all_of:                     # every term in one sentence ...
              - [捐赠, 物资]
              - {terms: [捐赠, 口罩], within: 20}   # ... or at most 20 characters between
            near: [[捐, 物资]]            # a pair at most 10 characters apart (within: N)

Decisions, so that a researcher can predict what happens:

- **Ids.** The full id of a code is the dotted path of slugs from its theme: ``grid`` >
  ``grid_workers`` is ``grid.grid_workers``. In YAML a code normally gives its own slug only;
  it may instead give its full dotted id, which must then start with its parent's full id
  (handy when copying ids from a report). Every slug matches ``[a-z0-9_]+``.
- **Plain strings.** ``name`` and ``description`` are a string or a ``{zh: ..., en: ...}``
  mapping. A plain string is filed under the codebook's ``language`` when it is set; without
  it, under ``zh`` if the string contains Chinese characters and ``en`` otherwise.
- **Rules.** ``keywords`` and ``exclude`` are literal text, ``prefixes`` literal text that
  matches any word starting with it (a dictionary's ``donat*``, written without the ``*``),
  ``patterns`` Python ``re`` expressions, ``lemmas`` single English words (stored
  lower-case). A keyword or prefix ending in ``*`` is refused with a hint, since a wildcard
  there is a prefix written in the wrong list. Values are stripped and
  composed to Unicode NFC, like document text. Keywords may not contain ``|`` (that is how
  alternatives are written in a pattern, and how lists are joined in CSV).
  ``exclude`` needs something to veto. ``scope`` is per code and not inherited.
- **Proximity rules.** ``all_of`` and ``near`` are lists of rules; a rule is a list of terms
  (``[人手, 不够]``) or a mapping ``{terms: [...], within: N}``. ``all_of`` needs two or more
  terms, all in one sentence unless ``within`` says how many characters may lie between
  them; ``near`` is a pair, at most 10 characters apart unless ``within`` says otherwise.
  Terms are literal text like keywords and may not contain ``|`` or ``+``; ``within`` is a
  whole number from 0 to 1000. How they match is in :mod:`qualcode.autocode.matching`.
- **Order.** ``Codebook.codes`` is in tree order (a theme, then its descendants depth first,
  siblings as written); ``Code.order`` is the position in that list, so sorting by it
  reproduces the tree.

CSV format (for spreadsheets): one row per code, header row required, columns
``code_id, parent_id, name_zh, name_en, description_zh, description_en, keywords, exclude,
patterns, lemmas, scope, color, prefixes, all_of, near``. Only ``code_id`` is required;
``name`` and ``description`` columns are accepted as plain strings (see above). ``code_id`` is
the full dotted id, or a slug joined with ``parent_id``. ``keywords``, ``prefixes``,
``exclude`` and ``lemmas`` are joined with ``|`` (a line break inside the cell also
separates); ``patterns`` are one per line inside the cell, because ``|`` means "or" in a
regular expression. ``all_of`` and ``near`` hold one rule per line, its terms joined with
``+`` and an optional ``within N`` at the end (``人手 + 不够``, ``防护 + 没有 within 20``).
Rows may come in any order; tree order follows parents, siblings keep row order. The
codebook's name is the file name; CSV has no place for version, language or description.

Keyword dictionaries (LIWC ``.dic``, WordStat ``.cat``, quanteda YAML) are read by
:mod:`qualcode.codebook.dictionaries`; :func:`load_codebook` chooses the reader.

Validation collects every problem in the file and raises one :class:`CodebookError` listing
each as ``path:line: code 'id': problem``.

The content hash (what makes a version) is described in :mod:`qualcode.codebook.model`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import yaml

from qualcode.codebook.model import LANGUAGES, Code, Codebook, Language, did_you_mean
from qualcode.codebook.safe_yaml import RefusedYaml, compose_yaml
from qualcode.errors import InputError
from qualcode.models import NEAR_WITHIN, SCOPES, CodeRules, Proximity, ProximityKind, Scope
from qualcode.text.decoding import decode_bytes
from qualcode.text.input_files import MAX_TEXT_FILE_BYTES, read_input_bytes
from qualcode.text.patterns import backtracking_problem

CodebookFormat = Literal["qualcode", "dic", "cat", "quanteda"]
#: What ``codebook load --format`` accepts: qualcode's own YAML/CSV and three dictionary kinds.
CODEBOOK_FORMATS: tuple[CodebookFormat, ...] = ("qualcode", "dic", "cat", "quanteda")

CODEBOOK_FIELDS = ("name", "version", "description", "language", "codes")
CODE_FIELDS = (
    "id",
    "name",
    "description",
    "keywords",
    "prefixes",
    "exclude",
    "patterns",
    "lemmas",
    "scope",
    "color",
    "all_of",
    "near",
    "codes",
)
CSV_COLUMNS = (
    "code_id",
    "parent_id",
    "name_zh",
    "name_en",
    "description_zh",
    "description_en",
    "keywords",
    "exclude",
    "patterns",
    "lemmas",
    "scope",
    "color",
    "prefixes",
    "all_of",
    "near",
)
_CSV_PLAIN_COLUMNS = ("name", "description")
RULE_LISTS = ("keywords", "prefixes", "exclude", "patterns", "lemmas")
PROXIMITY_KINDS: tuple[ProximityKind, ...] = ("all_of", "near")
#: The largest ``within`` a proximity rule may give, in characters.
MAX_WITHIN = 1000
_PROXIMITY_FIELDS = ("terms", "within")
_CSV_WITHIN = re.compile(r"^(?P<terms>.*?)\s+within\s+(?P<within>\S+)\s*$")

_SLUG = re.compile(r"[a-z0-9_]+")
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_SCOPE_BY_NAME: dict[str, Scope] = {scope: scope for scope in SCOPES}
_LANGUAGE_BY_NAME: dict[str, Language] = {language: language for language in LANGUAGES}
_NULL_TAG = "tag:yaml.org,2002:null"
_SINGULAR = {
    "keywords": "keyword",
    "prefixes": "prefix",
    "exclude": "exclude phrase",
    "patterns": "pattern",
}

_Reporter = Callable[[int, str], None]
"""``report(line, message)``: how the rule checks record a problem for the current code."""


# --------------------------------------------------------------------------------------------
# Problems found in a file


@dataclass(frozen=True, slots=True)
class CodebookProblem:
    """One thing wrong in a codebook file, with where it is and which code it concerns."""

    line: int | None
    subject: str | None
    message: str

    def format(self, path: str) -> str:
        """``path:line: code 'id': message`` (parts that are unknown are left out)."""
        where = f"{path}:{self.line}" if self.line is not None else path
        subject = f"{self.subject}: " if self.subject else ""
        return f"{where}: {subject}{self.message}"


class CodebookError(InputError):
    """A codebook file has one or more problems; ``problems`` lists every one of them.

    With one problem the message is that problem's single line. With several, the first
    line says how many and each following line is one problem.
    """

    def __init__(self, path: str | Path, problems: list[CodebookProblem]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem.line or 0)
        if len(self.problems) == 1:
            only = self.problems[0]
            subject = f"{only.subject}: " if only.subject else ""
            super().__init__(path, subject + only.message, line=only.line)
        else:
            lines = [problem.format(str(path)) for problem in self.problems]
            super().__init__(
                path, f"{len(lines)} problems in codebook:\n" + "\n".join(lines), line=None
            )


# --------------------------------------------------------------------------------------------
# Entry points


def load_codebook(path: str | Path, codebook_format: CodebookFormat | None = None) -> Codebook:
    """Read a codebook file (UTF-8, UTF-16 or GBK; any line ends).

    ``codebook_format`` names the format; without it the extension and the content tell:
    ``.csv`` is a qualcode CSV codebook, ``.dic`` a LIWC and ``.cat`` a WordStat dictionary,
    ``.yml``/``.yaml`` a quanteda dictionary when it has that shape
    (:func:`~qualcode.codebook.dictionaries.is_quanteda_yaml`) and a qualcode codebook
    otherwise; any other extension is told by content alone. ``qualcode`` means YAML, or CSV
    for a ``.csv`` file.
    """
    from qualcode.codebook.dictionaries import parse_dictionary

    path = Path(path)
    suffix = path.suffix.lower()
    data = read_input_bytes(path, max_bytes=MAX_TEXT_FILE_BYTES)
    text, _encoding = decode_bytes(data, path)
    chosen = codebook_format or _format_of(path, suffix, text)
    if chosen == "qualcode":
        if suffix == ".csv":
            return parse_codebook_csv(text, path)
        return parse_codebook_yaml(text, path)
    return parse_dictionary(text, chosen, path)


def _format_of(path: Path, suffix: str, text: str) -> CodebookFormat:
    """The format of a codebook file told by its extension and content (see load_codebook)."""
    from qualcode.codebook.dictionaries import is_quanteda_yaml, sniff_dictionary_format

    if suffix == ".csv":
        return "qualcode"
    if suffix == ".dic":
        return "dic"
    if suffix == ".cat":
        return "cat"
    if suffix in (".yml", ".yaml"):
        return "quanteda" if is_quanteda_yaml(text) else "qualcode"
    sniffed = sniff_dictionary_format(text)
    if sniffed is None:
        raise InputError(
            path,
            f"unknown codebook format '{suffix}': use .yml, .yaml, .csv, .dic or .cat, "
            "or name the format with --format qualcode|dic|cat|quanteda",
        )
    return sniffed


def parse_codebook_yaml(text: str, path: str | Path = "<codebook>") -> Codebook:
    """Parse and validate YAML codebook text; ``path`` is used in messages and as source."""
    root = _compose_yaml(text, path)
    problems: list[CodebookProblem] = []
    header = _read_header(root, Path(path).stem, problems)
    drafts: list[_Draft] = []
    if header.codes_node is not None:
        _read_code_list(header.codes_node, None, header.language, drafts, problems)
    return _assemble(header, drafts, problems, path)


def parse_codebook_csv(text: str, path: str | Path = "<codebook>") -> Codebook:
    """Parse and validate CSV codebook text (one row per code, see the module docstring)."""
    problems: list[CodebookProblem] = []
    drafts = _read_csv_rows(text, problems)
    header = _Header(Path(path).stem, None, None, None, None, None, 1)
    return _assemble(header, drafts, problems, path)


def codebook_to_yaml(codebook: Codebook) -> str:
    """Write a codebook as YAML that :func:`parse_codebook_yaml` reads back to equal codes."""
    document: dict[str, object] = {"name": codebook.name}
    if codebook.version_label is not None:
        document["version"] = codebook.version_label
    if codebook.language is not None:
        document["language"] = codebook.language
    description = _text_value(codebook.description_zh, codebook.description_en, codebook)
    if description is not None:
        document["description"] = description
    document["codes"] = _code_list_to_yaml(codebook, None)
    body = yaml.dump(
        document, Dumper=_CodebookDumper, allow_unicode=True, sort_keys=False, width=100
    )
    return "# qualcode codebook; format described in codebooks/README.md\n" + body


def codebook_to_csv(codebook: Codebook) -> str:
    """Write a codebook as CSV (columns :data:`CSV_COLUMNS`, full ids, parents explicit)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for code in codebook.codes:
        rules = code.rules
        writer.writerow(
            [
                code.code_id,
                code.parent_id or "",
                code.name_zh or "",
                code.name_en or "",
                code.description_zh or "",
                code.description_en or "",
                "|".join(rules.keywords),
                "|".join(rules.exclude),
                "\n".join(rules.patterns),
                "|".join(rules.lemmas),
                rules.scope,
                code.color or "",
                "|".join(rules.prefixes),
                _proximity_cell(rules.proximity, "all_of"),
                _proximity_cell(rules.proximity, "near"),
            ]
        )
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Drafts: what a file said about a code, before the whole codebook is checked


class _Entry(NamedTuple):
    """One value of a rule list and the line it was written on."""

    text: str
    line: int


@dataclass(slots=True)
class _Draft:
    """A code as read from a file, with lines for messages; ids may still be wrong."""

    code_id: str | None
    parent_id: str | None
    subject: str
    line: int
    name_zh: str | None = None
    name_en: str | None = None
    description_zh: str | None = None
    description_en: str | None = None
    keywords: list[_Entry] = field(default_factory=list)
    prefixes: list[_Entry] = field(default_factory=list)
    exclude: list[_Entry] = field(default_factory=list)
    patterns: list[_Entry] = field(default_factory=list)
    lemmas: list[_Entry] = field(default_factory=list)
    scope: Scope = "respondent"
    color: str | None = None
    proximity: list[_ProximityEntry] = field(default_factory=list)


@dataclass(slots=True)
class _ProximityEntry:
    """One ``all_of`` or ``near`` rule as written; ``within`` is the raw text, checked later."""

    kind: ProximityKind
    terms: list[str]
    within: str | None
    line: int

    def to_rule(self) -> Proximity:
        within = int(self.within) if self.within is not None else None
        if self.kind == "near" and within is None:
            within = NEAR_WITHIN
        return Proximity(self.kind, tuple(self.terms), within)


@dataclass(slots=True)
class _Header:
    """Codebook-level fields."""

    name: str
    version_label: str | None
    language: Language | None
    description_zh: str | None
    description_en: str | None
    codes_node: yaml.Node | None
    line: int


def _assemble(
    header: _Header, drafts: list[_Draft], problems: list[CodebookProblem], path: str | Path
) -> Codebook:
    """Check what needs the whole file (ids, parents, rules), then build the codebook."""
    for draft in drafts:
        _check_rules(draft, problems)
    _check_ids(drafts, problems)
    if not drafts and not problems:
        problems.append(
            CodebookProblem(header.line, None, "no codes: the codebook has nothing under 'codes:'")
        )
    if problems:
        raise CodebookError(path, problems)
    codes = tuple(
        _draft_to_code(draft, order) for order, draft in enumerate(_in_tree_order(drafts))
    )
    return Codebook(
        name=header.name,
        version_label=header.version_label,
        language=header.language,
        description_zh=header.description_zh,
        description_en=header.description_en,
        codes=codes,
        source_path=str(path),
    )


def _draft_to_code(draft: _Draft, order: int) -> Code:
    assert draft.code_id is not None  # drafts without ids are problems, raised before this
    rules = CodeRules(
        code_id=draft.code_id,
        keywords=tuple(entry.text for entry in draft.keywords),
        prefixes=tuple(entry.text for entry in draft.prefixes),
        exclude=tuple(entry.text for entry in draft.exclude),
        patterns=tuple(entry.text for entry in draft.patterns),
        lemmas=tuple(entry.text for entry in draft.lemmas),
        scope=draft.scope,
        proximity=tuple(entry.to_rule() for entry in draft.proximity),
    )
    return Code(
        code_id=draft.code_id,
        parent_id=draft.parent_id,
        name_zh=draft.name_zh,
        name_en=draft.name_en,
        description_zh=draft.description_zh,
        description_en=draft.description_en,
        rules=rules,
        depth=draft.code_id.count("."),
        order=order,
        color=draft.color,
        line=draft.line,
    )


def _in_tree_order(drafts: list[_Draft]) -> list[_Draft]:
    """Themes in file order, each followed depth first by its descendants."""
    children: dict[str | None, list[_Draft]] = {}
    for draft in drafts:
        children.setdefault(draft.parent_id, []).append(draft)
    ordered: list[_Draft] = []
    pending = list(reversed(children.get(None, [])))
    while pending:
        draft = pending.pop()
        ordered.append(draft)
        pending.extend(reversed(children.get(draft.code_id, [])))
    return ordered


def _check_ids(drafts: list[_Draft], problems: list[CodebookProblem]) -> None:
    """Duplicate full ids and parents that are not in the codebook."""
    first_line: dict[str, int] = {}
    for draft in drafts:
        if draft.code_id is None:
            continue
        if draft.code_id in first_line:
            problems.append(
                CodebookProblem(
                    draft.line,
                    draft.subject,
                    f"duplicate id (first defined at line {first_line[draft.code_id]})",
                )
            )
        else:
            first_line[draft.code_id] = draft.line
    for draft in drafts:
        if draft.parent_id is not None and draft.parent_id not in first_line:
            problems.append(
                CodebookProblem(
                    draft.line,
                    draft.subject,
                    f"unknown parent '{draft.parent_id}'"
                    + did_you_mean(draft.parent_id, first_line),
                )
            )


def _check_rules(draft: _Draft, problems: list[CodebookProblem]) -> None:
    """Empty or malformed keywords, bad regular expressions, exclude with nothing to veto."""

    def report(line: int, message: str) -> None:
        problems.append(CodebookProblem(line, draft.subject, message))

    for list_name in ("keywords", "prefixes", "exclude"):
        entries: list[_Entry] = getattr(draft, list_name)
        for entry in entries:
            _check_literal(_SINGULAR[list_name], entry, report)
            if list_name != "exclude" and entry.text.endswith("*"):
                report(
                    entry.line,
                    f"{_SINGULAR[list_name]} '{entry.text}' ends with '*': write a prefix "
                    f"without the star, under 'prefixes' ('{entry.text.rstrip('*')}')",
                )
        _check_repeats(_SINGULAR[list_name], entries, report)
    for entry in draft.lemmas:
        if not entry.text:
            report(entry.line, "empty lemma")
        elif re.search(r"\s|\|", entry.text):
            report(entry.line, f"lemma '{entry.text}' must be a single word")
    _check_repeats("lemma", draft.lemmas, report)
    for entry in draft.patterns:
        _check_pattern(entry, report)
    _check_repeats("pattern", draft.patterns, report)
    for rule in draft.proximity:
        _check_proximity(rule, report)
    written = [(rule.kind, tuple(rule.terms), rule.within) for rule in draft.proximity]
    for position, rule in enumerate(draft.proximity):
        if written[position] in written[:position]:
            report(rule.line, f"{rule.kind} rule [{', '.join(rule.terms)}] listed twice")
    if draft.exclude and not (
        draft.keywords or draft.prefixes or draft.patterns or draft.lemmas or draft.proximity
    ):
        report(
            draft.exclude[0].line,
            "'exclude' given but no keywords, patterns, lemmas or proximity rules",
        )


def _check_proximity(entry: _ProximityEntry, report: _Reporter) -> None:
    """Term counts, empty or malformed terms, and ``within``."""
    if entry.kind == "all_of" and len(entry.terms) < 2:
        report(entry.line, "an all_of rule needs two or more terms, e.g. [人手, 不够]")
    elif entry.kind == "near" and len(entry.terms) != 2:
        report(entry.line, "a near rule is a pair of terms, e.g. [加班, 补贴]")
    for term in entry.terms:
        if not term:
            report(entry.line, f"empty term in {entry.kind} rule (blank or whitespace only)")
        elif "|" in term or "+" in term:
            report(entry.line, f"{entry.kind} term '{term}' may not contain '|' or '+'")
    if len(set(entry.terms)) < len(entry.terms):
        report(entry.line, f"{entry.kind} rule repeats a term")
    if entry.within is not None and not (
        entry.within.isascii() and entry.within.isdigit() and int(entry.within) <= MAX_WITHIN
    ):
        report(
            entry.line,
            f"within '{entry.within}' must be a whole number of characters from 0 to {MAX_WITHIN}",
        )


def _check_literal(kind: str, entry: _Entry, report: _Reporter) -> None:
    if not entry.text:
        report(entry.line, f"empty {kind} (blank or whitespace only)")
    elif "|" in entry.text:
        report(
            entry.line,
            f"{kind} '{entry.text}' contains '|': keywords are literal text; "
            "list alternatives separately or write a pattern",
        )
    elif "\n" in entry.text:
        report(entry.line, f"{kind} '{entry.text}' contains a line break")


def _check_pattern(entry: _Entry, report: _Reporter) -> None:
    if not entry.text:
        report(entry.line, "empty pattern")
        return
    if "\n" in entry.text:
        report(entry.line, f"pattern '{entry.text}' contains a line break (write \\n)")
        return
    try:
        compiled = re.compile(entry.text)
    except (re.error, OverflowError, RecursionError) as error:
        # OverflowError: a repeat count too large (a{99999999999}); RecursionError: groups
        # nested too deeply for the regex parser. Both are bad patterns, not crashes.
        report(entry.line, f"pattern '{entry.text}' is not a valid regular expression: {error}")
        return
    if compiled.match("") is not None:
        report(entry.line, f"pattern '{entry.text}' matches empty text")
        return
    problem = backtracking_problem(entry.text)
    if problem is not None:
        report(entry.line, problem)


def _check_repeats(kind: str, entries: list[_Entry], report: _Reporter) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.text and entry.text in seen:
            report(entry.line, f"{kind} '{entry.text}' is listed twice")
        seen.add(entry.text)


# --------------------------------------------------------------------------------------------
# YAML reading (on the composed node tree, so every value knows its line)


def _compose_yaml(text: str, path: str | Path) -> yaml.Node:
    try:
        root = compose_yaml(text)
    except RefusedYaml as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else None
        problem = CodebookProblem(line, None, error.problem or "not allowed in a codebook")
        raise CodebookError(path, [problem]) from error
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        detail = error.problem or error.context or "cannot parse"
        if error.context and error.problem:
            detail = f"{error.problem} ({error.context})"
        raise CodebookError(
            path, [CodebookProblem(line, None, f"YAML syntax error: {detail}")]
        ) from error
    except yaml.YAMLError as error:
        raise CodebookError(
            path, [CodebookProblem(None, None, f"YAML syntax error: {error}")]
        ) from error
    if root is None:
        raise CodebookError(path, [CodebookProblem(1, None, "empty file: no codebook in it")])
    return root


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _read_header(root: yaml.Node, default_name: str, problems: list[CodebookProblem]) -> _Header:
    header = _Header(default_name, None, None, None, None, None, _line(root))
    if not isinstance(root, yaml.MappingNode):
        problems.append(
            CodebookProblem(
                _line(root), None, "the top level must be a mapping with a 'codes:' list"
            )
        )
        return header
    fields = _fields(root, CODEBOOK_FIELDS, None, problems)
    language_node = fields.get("language")
    if language_node is not None:
        header.language = _read_language(language_node, problems)
    name = _read_scalar(fields.get("name"), "name", None, problems)
    if name:
        header.name = name
    header.version_label = _read_scalar(fields.get("version"), "version", None, problems)
    description = fields.get("description")
    if description is not None:
        header.description_zh, header.description_en = _read_text(
            description, "description", header.language, None, problems
        )
    header.codes_node = fields.get("codes")
    return header


def _read_language(node: yaml.Node, problems: list[CodebookProblem]) -> Language | None:
    value = _read_scalar(node, "language", None, problems)
    if value is None:
        return None
    language = _LANGUAGE_BY_NAME.get(value.lower())
    if language is None:
        problems.append(
            CodebookProblem(_line(node), None, f"language '{value}' is not one of zh, en")
        )
    return language


def _read_code_list(
    node: yaml.Node,
    parent: _Draft | None,
    language: Language | None,
    drafts: list[_Draft],
    problems: list[CodebookProblem],
) -> None:
    """Read a ``codes:`` list, recursively, appending drafts in tree order."""
    if _is_null(node):
        return
    if not isinstance(node, yaml.SequenceNode):
        subject = parent.subject if parent else None
        problems.append(
            CodebookProblem(
                _line(node), subject, "'codes' must be a list of codes, each starting '- id: ...'"
            )
        )
        return
    for index, item in enumerate(node.value, start=1):
        _read_code(item, index, parent, language, drafts, problems)


def _read_code(
    node: yaml.Node,
    index: int,
    parent: _Draft | None,
    language: Language | None,
    drafts: list[_Draft],
    problems: list[CodebookProblem],
) -> None:
    placeholder = _placeholder_subject(index, parent)
    if not isinstance(node, yaml.MappingNode):
        problems.append(
            CodebookProblem(
                _line(node), placeholder, "must be a mapping with 'id', 'name', 'keywords' ..."
            )
        )
        return
    raw_fields = _raw_fields(node)
    parent_id = parent.code_id if parent else None
    code_id = _read_id(raw_fields, node, parent, placeholder, problems)
    subject = f"code '{code_id}'" if code_id else placeholder
    draft = _Draft(code_id, parent_id, subject, _line(node))
    fields = _fields(node, CODE_FIELDS, subject, problems)
    name = fields.get("name")
    if name is not None:
        draft.name_zh, draft.name_en = _read_text(name, "name", language, subject, problems)
    description = fields.get("description")
    if description is not None:
        draft.description_zh, draft.description_en = _read_text(
            description, "description", language, subject, problems
        )
    draft.keywords = _read_list(fields.get("keywords"), "keywords", subject, problems)
    draft.prefixes = _read_list(fields.get("prefixes"), "prefixes", subject, problems)
    draft.exclude = _read_list(fields.get("exclude"), "exclude", subject, problems)
    draft.patterns = _read_list(fields.get("patterns"), "patterns", subject, problems)
    lemmas = _read_list(fields.get("lemmas"), "lemmas", subject, problems)
    draft.lemmas = [_Entry(entry.text.lower(), entry.line) for entry in lemmas]
    for kind in PROXIMITY_KINDS:
        draft.proximity += _read_proximity(fields.get(kind), kind, subject, problems)
    draft.scope = _parse_scope(
        _read_scalar(fields.get("scope"), "scope", subject, problems),
        _line(fields["scope"]) if "scope" in fields else draft.line,
        subject,
        problems,
    )
    draft.color = _parse_color(
        _read_scalar(fields.get("color"), "color", subject, problems),
        _line(fields["color"]) if "color" in fields else draft.line,
        subject,
        problems,
    )
    drafts.append(draft)
    children = fields.get("codes")
    if children is not None:
        _read_code_list(children, draft, language, drafts, problems)


def _placeholder_subject(index: int, parent: _Draft | None) -> str:
    """How to name a code whose id is missing or wrong."""
    if parent is None:
        return f"theme #{index}"
    return f"code #{index} under '{parent.code_id or parent.subject}'"


def _read_id(
    raw_fields: dict[str, tuple[yaml.Node, yaml.Node]],
    node: yaml.Node,
    parent: _Draft | None,
    placeholder: str,
    problems: list[CodebookProblem],
) -> str | None:
    """The full id of a YAML code, or ``None`` after reporting why there is none."""
    if "id" not in raw_fields:
        problems.append(CodebookProblem(_line(node), placeholder, "missing 'id'"))
        return None
    value_node = raw_fields["id"][1]
    value = _read_scalar(value_node, "id", placeholder, problems)
    if not value:
        if value is not None or _is_null(value_node):
            problems.append(CodebookProblem(_line(value_node), placeholder, "empty 'id'"))
        return None
    parent_id = parent.code_id if parent else None
    full_id, problem = _full_id(value, parent_id)
    if problem is not None:
        problems.append(CodebookProblem(_line(value_node), placeholder, problem))
    return full_id


def _raw_fields(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """The mapping's scalar keys (first occurrence wins) with their key and value nodes."""
    fields: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value not in fields:
            fields[str(key_node.value)] = (key_node, value_node)
    return fields


def _fields(
    node: yaml.MappingNode,
    known: tuple[str, ...],
    subject: str | None,
    problems: list[CodebookProblem],
) -> dict[str, yaml.Node]:
    """Known fields of a mapping by name; report unknown, repeated and non-text keys."""
    fields: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(CodebookProblem(_line(key_node), subject, "field names must be text"))
            continue
        key = str(key_node.value)
        if key not in known:
            problems.append(
                CodebookProblem(
                    _line(key_node), subject, f"unknown field '{key}'" + did_you_mean(key, known)
                )
            )
        elif key in fields:
            problems.append(CodebookProblem(_line(key_node), subject, f"field '{key}' given twice"))
        else:
            fields[key] = value_node
    return fields


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG


def _read_scalar(
    node: yaml.Node | None, field_name: str, subject: str | None, problems: list[CodebookProblem]
) -> str | None:
    """A scalar's text as written (``yes``, ``1.10`` and ``2020`` stay text); null is None."""
    if node is None or _is_null(node):
        return None
    if not isinstance(node, yaml.ScalarNode):
        problems.append(CodebookProblem(_line(node), subject, f"'{field_name}' must be text"))
        return None
    return _clean(str(node.value))


def _read_text(
    node: yaml.Node,
    field_name: str,
    language: Language | None,
    subject: str | None,
    problems: list[CodebookProblem],
) -> tuple[str | None, str | None]:
    """A name or description: a string, or a ``{zh: ..., en: ...}`` mapping -> (zh, en)."""
    if isinstance(node, yaml.MappingNode):
        by_language: dict[str, str | None] = {}
        for key, value_node in _fields(node, LANGUAGES, subject, problems).items():
            by_language[key] = _read_scalar(value_node, f"{field_name}.{key}", subject, problems)
        return by_language.get("zh") or None, by_language.get("en") or None
    if isinstance(node, yaml.ScalarNode):
        return _file_plain_string(_read_scalar(node, field_name, subject, problems), language)
    problems.append(
        CodebookProblem(
            _line(node),
            subject,
            f"'{field_name}' must be text or a mapping {{zh: ..., en: ...}}",
        )
    )
    return None, None


def _read_list(
    node: yaml.Node | None, field_name: str, subject: str, problems: list[CodebookProblem]
) -> list[_Entry]:
    """A list of text values (keywords, exclude, patterns, lemmas) with their lines."""
    if node is None or _is_null(node):
        return []
    if not isinstance(node, yaml.SequenceNode):
        problems.append(
            CodebookProblem(
                _line(node), subject, f"'{field_name}' must be a list, e.g. [first, second]"
            )
        )
        return []
    entries: list[_Entry] = []
    for position, item in enumerate(node.value, start=1):
        if not isinstance(item, yaml.ScalarNode):
            problems.append(
                CodebookProblem(
                    _line(item), subject, f"'{field_name}' item #{position} must be text"
                )
            )
            continue
        text = "" if _is_null(item) else _clean(str(item.value))
        entries.append(_Entry(text, _line(item)))
    return entries


def _read_proximity(
    node: yaml.Node | None, kind: ProximityKind, subject: str, problems: list[CodebookProblem]
) -> list[_ProximityEntry]:
    """``all_of`` or ``near``: a list of rules, each ``[term, ...]`` or ``{terms, within}``."""
    if node is None or _is_null(node):
        return []
    example = "[[人手, 不够]]" if kind == "all_of" else "[[加班, 补贴]]"
    if not isinstance(node, yaml.SequenceNode):
        problems.append(
            CodebookProblem(
                _line(node), subject, f"'{kind}' must be a list of rules, e.g. {example}"
            )
        )
        return []
    entries: list[_ProximityEntry] = []
    for position, item in enumerate(node.value, start=1):
        within: str | None = None
        terms_node: yaml.Node | None = item
        if isinstance(item, yaml.MappingNode):
            fields = _fields(item, _PROXIMITY_FIELDS, subject, problems)
            terms_node = fields.get("terms")
            within_node = fields.get("within")
            if within_node is not None:
                if isinstance(within_node, yaml.ScalarNode) and not _is_null(within_node):
                    within = str(within_node.value).strip()
                else:
                    within = ""
            if terms_node is None:
                problems.append(
                    CodebookProblem(_line(item), subject, f"{kind} rule #{position} has no 'terms'")
                )
                continue
        if not isinstance(terms_node, yaml.SequenceNode) or not all(
            isinstance(term, yaml.ScalarNode) for term in terms_node.value
        ):
            problems.append(
                CodebookProblem(
                    _line(item),
                    subject,
                    f"{kind} rule #{position} must be a list of terms like [人手, 不够] "
                    "or {terms: [人手, 不够], within: 20}",
                )
            )
            continue
        terms = ["" if _is_null(term) else _clean(str(term.value)) for term in terms_node.value]
        entries.append(_ProximityEntry(kind, terms, within, _line(item)))
    return entries


# --------------------------------------------------------------------------------------------
# CSV reading


def _read_csv_rows(text: str, problems: list[CodebookProblem]) -> list[_Draft]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = _numbered_rows(reader)
    header_row = next(rows, None)
    if header_row is None:
        return []
    columns = _csv_columns(header_row[1], header_row[0], problems)
    if columns is None:
        return []
    drafts: list[_Draft] = []
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):
            problems.append(
                CodebookProblem(
                    line, None, f"row has {len(cells)} cells but the header has {len(columns)}"
                )
            )
            continue
        row = dict(zip(columns, cells, strict=False))
        drafts.append(_csv_row_to_draft(row, line, len(drafts) + 1, problems))
    return drafts


def _numbered_rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Rows with the line each one starts on (a quoted cell may span several lines)."""
    start = 1
    for cells in reader:
        yield start, cells
        start = int(getattr(reader, "line_num", start)) + 1


def _csv_columns(cells: list[str], line: int, problems: list[CodebookProblem]) -> list[str] | None:
    known = CSV_COLUMNS + _CSV_PLAIN_COLUMNS
    columns = [cell.strip().lower() for cell in cells]
    for column in columns:
        if column and column not in known:
            problems.append(
                CodebookProblem(
                    line, None, f"unknown column '{column}'" + did_you_mean(column, known)
                )
            )
    if "code_id" not in columns:
        problems.append(CodebookProblem(line, None, "the header row has no 'code_id' column"))
        return None
    return columns


def _csv_row_to_draft(
    row: dict[str, str], line: int, index: int, problems: list[CodebookProblem]
) -> _Draft:
    placeholder = f"row #{index}"
    raw_id = _clean(row.get("code_id", ""))
    raw_parent = _clean(row.get("parent_id", "")) or None
    code_id, parent_id = _csv_ids(raw_id, raw_parent, line, placeholder, problems)
    subject = f"code '{code_id}'" if code_id else placeholder
    draft = _Draft(code_id, parent_id, subject, line)
    plain_name = _file_plain_string(_clean(row.get("name", "")) or None, None)
    plain_description = _file_plain_string(_clean(row.get("description", "")) or None, None)
    draft.name_zh = _clean(row.get("name_zh", "")) or plain_name[0]
    draft.name_en = _clean(row.get("name_en", "")) or plain_name[1]
    draft.description_zh = _clean(row.get("description_zh", "")) or plain_description[0]
    draft.description_en = _clean(row.get("description_en", "")) or plain_description[1]
    draft.keywords = _split_cell(row.get("keywords", ""), r"[|\n]", line)
    draft.prefixes = _split_cell(row.get("prefixes", ""), r"[|\n]", line)
    draft.exclude = _split_cell(row.get("exclude", ""), r"[|\n]", line)
    draft.patterns = _split_cell(row.get("patterns", ""), r"\n", line)
    draft.lemmas = [
        _Entry(entry.text.lower(), line)
        for entry in _split_cell(row.get("lemmas", ""), r"[|\n]", line)
    ]
    for kind in PROXIMITY_KINDS:
        draft.proximity += _split_proximity_cell(row.get(kind, ""), kind, line)
    draft.scope = _parse_scope(_clean(row.get("scope", "")) or None, line, subject, problems)
    draft.color = _parse_color(_clean(row.get("color", "")) or None, line, subject, problems)
    return draft


def _csv_ids(
    raw_id: str,
    raw_parent: str | None,
    line: int,
    subject: str,
    problems: list[CodebookProblem],
) -> tuple[str | None, str | None]:
    """(full id, parent id) of a CSV row; a dotted code_id implies its parent."""
    if not raw_id:
        problems.append(CodebookProblem(line, subject, "missing 'code_id'"))
        return None, raw_parent
    if raw_parent is not None:
        _parent_full, problem = _full_id(raw_parent, None, allow_dotted_theme=True)
        if problem is not None:
            problems.append(CodebookProblem(line, subject, "parent_id: " + problem))
            return None, raw_parent
    if "." in raw_id and raw_parent is None:
        raw_parent = raw_id.rpartition(".")[0]
    full_id, problem = _full_id(raw_id, raw_parent)
    if problem is not None:
        problems.append(CodebookProblem(line, subject, problem))
    return full_id, raw_parent


def _split_cell(cell: str, separator: str, line: int) -> list[_Entry]:
    if not cell.strip():
        return []
    return [_Entry(_clean(part), line) for part in re.split(separator, cell)]


def _split_proximity_cell(cell: str, kind: ProximityKind, line: int) -> list[_ProximityEntry]:
    """One rule per line (or between ``|``): terms joined by ``+``, optionally ``within N``."""
    entries: list[_ProximityEntry] = []
    for part in re.split(r"[|\n]", cell):
        if not part.strip():
            continue
        within: str | None = None
        found = _CSV_WITHIN.match(part.strip())
        if found is not None:
            part, within = found.group("terms"), found.group("within")
        terms = [_clean(term) for term in part.split("+")]
        entries.append(_ProximityEntry(kind, terms, within, line))
    return entries


# --------------------------------------------------------------------------------------------
# Values shared by both formats


def _full_id(
    value: str, parent_id: str | None, *, allow_dotted_theme: bool = False
) -> tuple[str | None, str | None]:
    """Join a slug with its parent, or check a full dotted id; returns (full id, problem)."""
    parts = value.split(".")
    bad = [part for part in parts if not _SLUG.fullmatch(part)]
    if bad:
        suggestion = ".".join(_slugify(part) for part in parts)
        hint = f" (try '{suggestion}')" if _SLUG.fullmatch(suggestion.replace(".", "")) else ""
        return None, (
            f"id '{value}' may only use a-z, 0-9 and '_' in each dot-separated part{hint}"
        )
    if len(parts) == 1:
        return (f"{parent_id}.{value}" if parent_id else value), None
    prefix = value.rpartition(".")[0]
    if parent_id is None and not allow_dotted_theme:
        return None, f"id '{value}' is dotted but the code is a theme (top level)"
    if parent_id is not None and prefix != parent_id:
        return None, (
            f"id '{value}' does not continue its parent's id '{parent_id}' "
            f"(write just '{parts[-1]}')"
        )
    return value, None


def _slugify(part: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", part.lower()).strip("_")


def _parse_scope(
    value: str | None, line: int, subject: str, problems: list[CodebookProblem]
) -> Scope:
    if value is None:
        return "respondent"
    scope = _SCOPE_BY_NAME.get(value)
    if scope is None:
        problems.append(
            CodebookProblem(
                line,
                subject,
                f"scope '{value}' is not one of {', '.join(SCOPES)}" + did_you_mean(value, SCOPES),
            )
        )
        return "respondent"
    return scope


def _parse_color(
    value: str | None, line: int, subject: str, problems: list[CodebookProblem]
) -> str | None:
    """A ``#rgb`` or ``#rrggbb`` colour, stored as lower-case ``#rrggbb``."""
    if value is None:
        return None
    if not _COLOR.fullmatch(value):
        problems.append(
            CodebookProblem(line, subject, f"color '{value}' is not '#rrggbb' or '#rgb'")
        )
        return None
    digits = value[1:].lower()
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return "#" + digits


def _file_plain_string(
    text: str | None, language: Language | None
) -> tuple[str | None, str | None]:
    """(zh, en) for a plain-string name or description; see "plain strings" above."""
    if not text:
        return None, None
    if _plain_string_language(text, language) == "zh":
        return text, None
    return None, text


def _plain_string_language(text: str, language: Language | None) -> Language:
    if language is not None:
        return language
    return "zh" if _HAN.search(text) else "en"


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


# --------------------------------------------------------------------------------------------
# YAML writing


class _FlowList(list[str]):
    """A short rule list, written on one line: ``keywords: [志愿者, volunteer]``."""


class _FlowMap(dict[str, str]):
    """A short bilingual name, written on one line: ``name: {zh: ..., en: ...}``."""


class _FlowRule(dict[str, object]):
    """A proximity rule with its distance, written on one line: ``{terms: [a, b], within: 20}``."""


class _CodebookDumper(yaml.SafeDumper):
    """SafeDumper that writes rule lists and names in flow style and never uses aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        """Indent list items under their key (``codes:`` then ``  - id: ...``)."""
        super().increase_indent(flow, False)


def _represent_flow_list(dumper: yaml.SafeDumper, data: _FlowList) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_flow_map(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


_CodebookDumper.add_representer(_FlowList, _represent_flow_list)
_CodebookDumper.add_representer(_FlowMap, _represent_flow_map)
_CodebookDumper.add_representer(_FlowRule, _represent_flow_map)


def _text_value(zh: str | None, en: str | None, codebook: Codebook) -> str | dict[str, str] | None:
    """A plain string when reading it back files it in the same language, else a mapping."""
    if zh is None and en is None:
        return None
    if zh is None or en is None:
        only = zh if zh is not None else en
        assert only is not None
        only_language: Language = "zh" if zh is not None else "en"
        if _plain_string_language(only, codebook.language) == only_language:
            return only
    mapping = {key: value for key, value in (("zh", zh), ("en", en)) if value is not None}
    is_short = sum(len(value) for value in mapping.values()) <= 60
    return _FlowMap(mapping) if is_short else mapping


def _rule_list(values: tuple[str, ...]) -> list[str]:
    """Short lists on one line; long ones one value per line, so diffs show what changed."""
    if sum(len(value) + 2 for value in values) <= 60:
        return _FlowList(values)
    return list(values)


def _proximity_to_yaml(rule: Proximity) -> object:
    """``[a, b]`` when the rule's ``within`` is its kind's default, else ``{terms, within}``."""
    default = NEAR_WITHIN if rule.kind == "near" else None
    if rule.within == default:
        return _FlowList(rule.terms)
    return _FlowRule({"terms": _FlowList(rule.terms), "within": rule.within})


def _proximity_cell(rules: tuple[Proximity, ...], kind: ProximityKind) -> str:
    """CSV cell of one kind's rules: ``a + b`` or ``a + b within N``, one per line."""
    default = NEAR_WITHIN if kind == "near" else None
    return "\n".join(
        " + ".join(rule.terms) + ("" if rule.within == default else f" within {rule.within}")
        for rule in rules
        if rule.kind == kind
    )


def _code_list_to_yaml(codebook: Codebook, parent_id: str | None) -> list[dict[str, object]]:
    return [_code_to_yaml(codebook, code) for code in codebook.children(parent_id)]


def _code_to_yaml(codebook: Codebook, code: Code) -> dict[str, object]:
    entry: dict[str, object] = {"id": code.slug}
    name = _text_value(code.name_zh, code.name_en, codebook)
    if name is not None:
        entry["name"] = name
    description = _text_value(code.description_zh, code.description_en, codebook)
    if description is not None:
        entry["description"] = description
    if code.rules.scope != "respondent":
        entry["scope"] = code.rules.scope
    if code.color is not None:
        entry["color"] = code.color
    for list_name in RULE_LISTS:
        values: tuple[str, ...] = getattr(code.rules, list_name)
        if values:
            entry[list_name] = _rule_list(values)
    for kind in PROXIMITY_KINDS:
        rules = [rule for rule in code.rules.proximity if rule.kind == kind]
        if rules:
            entry[kind] = [_proximity_to_yaml(rule) for rule in rules]
    children = _code_list_to_yaml(codebook, code.code_id)
    if children:
        entry["codes"] = children
    return entry
