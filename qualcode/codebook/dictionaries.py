"""Keyword dictionaries read as codebooks: LIWC ``.dic``, WordStat ``.cat``, quanteda YAML.

Published keyword dictionaries (the Moral Foundations Dictionary, Laver and Garry's policy
dictionary, newsmap's place names) are codebooks without the frills: categories, sometimes
nested, each with a list of words. Reading one gives a :class:`~qualcode.codebook.model.Codebook`
in which every category is a code and its words are the code's keywords, so the auto-coder
applies a dictionary like any other codebook, with provenance per hit.

The three formats, as this module reads them:

- **LIWC** ``.dic``: a block of categories between two lines holding only ``%`` (``01
  HarmVirtue``: an id, then the name), then one line per entry: the word, a tab, and the ids
  of its categories (``preserve<TAB>01 07 09``: a word may be in several categories). A word
  may be several words (``kind of<TAB>05``); without a tab, the trailing tokens that are
  category ids are the categories and the rest is the word. The categories are flat.
- **WordStat** ``.cat``: a category on a line of its own, its sub-categories and entries
  indented one tab deeper; an entry ends with a weight in parentheses (``ART (1)``). Weights
  are read and dropped: a hit is a hit. WordStat writes a phrase with underscores
  (``WAR_IN_IRAQ``), which become spaces. A category may hold entries and sub-categories.
- **quanteda** YAML: a nested mapping of categories to lists of terms (newsmap's
  ``AFRICA: {EAST: {'BI': [布隆迪*, 布琼布拉]}}``). Any depth; a key's value is a mapping
  (sub-categories), a list of terms, or empty. A list may also hold mappings (sub-categories
  beside the terms). That shape is how such a file is told from a qualcode codebook, whose
  ``codes:`` list holds mappings (:func:`is_quanteda_yaml`).

Decisions, so that a researcher can predict what happens:

- **Wildcards.** A term ending in ``*`` is a prefix: ``protect*`` becomes the prefix rule
  ``protect`` and matches ``protect``, ``protection``, ``protective`` (whole words at the
  start; the hit runs to the end of the word). A Chinese prefix (``布隆迪*``) matches on
  characters like any Chinese keyword, so it finds ``布隆迪`` inside ``布隆迪人``. A ``*`` or
  ``?`` anywhere else in a term is refused with the file and line: globs in the middle of
  words are not something keyword matching can promise.
- **Ids.** A category's code id is its name made a slug (``CULTURE-HIGH`` -> ``culture_high``,
  accents dropped: ``Attitűd`` -> ``attitud``), under its parent's id
  (``culture.culture_high``). A name with nothing left after that (``经济``, ``+++``) gets
  ``category_N`` (N its position among its siblings); siblings whose slugs collide get
  ``_2``, ``_3`` in file order (``+STATE+``, ``=STATE=``, ``-STATE-`` become ``state``,
  ``state_2``, ``state_3``). The name as written is kept as the code's name (under
  ``zh`` when it holds Chinese characters, else ``en``), so nothing of it is lost.
- **Repeats.** A term listed twice in one category is kept once; the same term in several
  categories fires each of them.
- **Line ends.** CRLF, LF and old Mac CR-only files all read, with line numbers as an editor
  shows them.

A line that cannot be read raises :class:`~qualcode.errors.InputError` naming the file and
the line; nothing is returned, so nothing reaches the project.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from qualcode.codebook.model import Code, Codebook
from qualcode.errors import InputError
from qualcode.models import CodeRules

DictionaryFormat = Literal["dic", "cat", "quanteda"]
DICTIONARY_FORMATS: tuple[DictionaryFormat, ...] = ("dic", "cat", "quanteda")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
#: A WordStat entry: the term, then its weight in parentheses, e.g. ``GALLER* (1)``.
_WORDSTAT_ENTRY = re.compile(r"(?P<term>.*?)\s*\(\s*[+-]?\d+(?:\.\d*)?\s*\)")
_NULL_TAG = "tag:yaml.org,2002:null"
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(slots=True)
class Term:
    """One term as written (a trailing ``*`` makes it a prefix), with the line it was on."""

    text: str
    line: int | None


@dataclass(slots=True)
class Category:
    """A category as read from another tool: name, terms (as written, ``*`` included) and
    sub-categories; ``line`` where it was defined (``None`` when not read from a text file)
    and ``color`` (``#rrggbb``) if the tool gave one. :func:`codebook_from_categories` fills
    in ``code_id``, the id the category got in the codebook.
    """

    name: str
    line: int | None
    terms: list[Term] = field(default_factory=list)
    children: list[Category] = field(default_factory=list)
    color: str | None = None
    code_id: str | None = None


# --------------------------------------------------------------------------------------------
# Entry points


def split_lines(text: str) -> list[str]:
    """Lines of ``text`` split at CRLF, LF or a lone CR (old Mac files), without the breaks."""
    return _LINE_BREAK.split(text)


def parse_dictionary(
    text: str, dictionary_format: DictionaryFormat, path: str | Path = "<dictionary>"
) -> Codebook:
    """Read dictionary text in ``dictionary_format``; ``path`` names the file in messages."""
    if dictionary_format == "dic":
        return parse_liwc_dic(text, path)
    if dictionary_format == "cat":
        return parse_wordstat_cat(text, path)
    return parse_quanteda_yaml(text, path)


def sniff_dictionary_format(text: str) -> DictionaryFormat | None:
    """The dictionary format ``text`` looks like, from its content alone, or ``None``.

    A first non-blank line holding only ``%`` is LIWC; a tab-indented line ending in a weight
    (``\\tART (1)``) is WordStat; YAML of the quanteda shape (:func:`is_quanteda_yaml`) is
    quanteda.
    """
    lines = split_lines(text)
    first = next((line.strip() for line in lines if line.strip()), "")
    if first == "%":
        return "dic"
    if any(line.startswith("\t") and _WORDSTAT_ENTRY.fullmatch(line.strip()) for line in lines):
        return "cat"
    if is_quanteda_yaml(text):
        return "quanteda"
    return None


def is_quanteda_yaml(text: str) -> bool:
    """Whether ``text`` is YAML shaped like a quanteda dictionary, not a qualcode codebook.

    A quanteda dictionary is a mapping whose every value, at any depth, is a mapping, a list
    of terms (scalars, or mappings of sub-categories beside them) or empty, and which has at
    least one term. A qualcode codebook has plain values (``name: ...``) and a ``codes:`` list
    of mappings, so it never qualifies; text that is not YAML does not either.
    """
    try:
        root = yaml.compose(_normalised_breaks(text), Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return False
    if not isinstance(root, yaml.MappingNode) or not root.value:
        return False
    return _is_category_mapping(root) and _has_terms(root)


# --------------------------------------------------------------------------------------------
# LIWC .dic


def parse_liwc_dic(text: str, path: str | Path = "<dictionary>") -> Codebook:
    """Read a LIWC ``.dic`` dictionary (see the module docstring) as a flat codebook."""
    lines = split_lines(text)
    numbered = [(number, line.strip()) for number, line in enumerate(lines, start=1)]
    content = [(number, line) for number, line in numbered if line]
    if not content or content[0][1] != "%":
        first_line = content[0][0] if content else 1
        raise InputError(
            path,
            "not a LIWC dictionary: the first line must be '%' (the category block)",
            line=first_line,
        )
    categories: dict[str, Category] = {}
    position = 1
    while True:
        if position >= len(content):
            raise InputError(
                path,
                "the category block is not closed with a line holding only '%'",
                line=content[0][0],
            )
        number, line = content[position]
        position += 1
        if line == "%":
            break
        parts = line.split(None, 1)
        if len(parts) < 2:
            raise InputError(
                path,
                f"category line '{line}' needs an id and a name, e.g. '01 Positive'",
                line=number,
            )
        category_id, name = parts[0], parts[1].strip()
        if category_id in categories:
            raise InputError(
                path,
                f"category id '{category_id}' is used twice (first at line "
                f"{categories[category_id].line})",
                line=number,
            )
        categories[category_id] = Category(name, number)
    if not categories:
        raise InputError(
            path, "the category block between the '%' lines is empty", line=content[0][0]
        )
    for number, line in content[position:]:
        term, category_ids = _liwc_entry(line, categories, path, number)
        for category_id in category_ids:
            categories[category_id].terms.append(Term(term, number))
    return codebook_from_categories(list(categories.values()), path)


def _liwc_entry(
    line: str, categories: dict[str, Category], path: str | Path, number: int
) -> tuple[str, list[str]]:
    """(word, category ids) of one ``.dic`` entry line."""
    if line == "%":
        raise InputError(
            path, "a third '%' line: the category block is already closed", line=number
        )
    if "\t" in line:
        term, _tab, rest = line.partition("\t")
        term = term.strip()
        category_ids = rest.split()
    else:
        tokens = line.split()
        split_at = len(tokens)
        while split_at > 1 and tokens[split_at - 1] in categories:
            split_at -= 1
        term, category_ids = " ".join(tokens[:split_at]), tokens[split_at:]
    if not term:
        raise InputError(path, f"entry '{line}' has no word before its categories", line=number)
    if not category_ids:
        raise InputError(
            path,
            f"entry '{term}' names no category (write the word, a tab, then category ids)",
            line=number,
        )
    for category_id in category_ids:
        if category_id not in categories:
            raise InputError(
                path,
                f"entry '{term}': category '{category_id}' is not in the '%' block",
                line=number,
            )
    return term, list(dict.fromkeys(category_ids))


# --------------------------------------------------------------------------------------------
# WordStat .cat


def parse_wordstat_cat(text: str, path: str | Path = "<dictionary>") -> Codebook:
    """Read a WordStat ``.cat`` dictionary (see the module docstring), hierarchy kept."""
    roots: list[Category] = []
    open_categories: list[Category] = []  # the category open at each depth
    for number, raw_line in enumerate(split_lines(text), start=1):
        line = raw_line.rstrip()
        if not line.strip():
            continue
        body = line.lstrip("\t")
        depth = len(line) - len(body)
        if body[0].isspace():
            raise InputError(
                path, "indented with spaces: WordStat indents with one tab per level", line=number
            )
        entry = _WORDSTAT_ENTRY.fullmatch(body)
        if entry is not None:
            if depth == 0 or depth > len(open_categories):
                raise InputError(
                    path,
                    f"entry '{body}' is not inside a category (indent it one tab deeper than "
                    "its category)",
                    line=number,
                )
            term = entry.group("term").strip().replace("_", " ")
            if not term:
                raise InputError(path, f"entry '{body}' has no word before its weight", line=number)
            open_categories[depth - 1].terms.append(Term(term, number))
            del open_categories[depth:]
            continue
        if depth > len(open_categories):
            raise InputError(
                path,
                f"category '{body}' is indented deeper than the category above it",
                line=number,
            )
        del open_categories[depth:]
        category = Category(body.strip(), number)
        (open_categories[-1].children if open_categories else roots).append(category)
        open_categories.append(category)
    if not roots:
        raise InputError(path, "no categories: the file is empty", line=1)
    return codebook_from_categories(roots, path)


# --------------------------------------------------------------------------------------------
# quanteda YAML


def parse_quanteda_yaml(text: str, path: str | Path = "<dictionary>") -> Codebook:
    """Read a quanteda-style YAML dictionary (see the module docstring), hierarchy kept."""
    try:
        root = yaml.compose(_normalised_breaks(text), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise InputError(
            path,
            f"YAML syntax error: {error.problem or error.context or 'cannot parse'}",
            line=mark.line + 1 if mark is not None else None,
        ) from error
    except yaml.YAMLError as error:
        raise InputError(path, f"YAML syntax error: {error}") from error
    if root is None:
        raise InputError(path, "empty file: no dictionary in it", line=1)
    if not isinstance(root, yaml.MappingNode):
        raise InputError(
            path,
            "the top level must be a mapping of categories to lists of terms",
            line=_line(root),
        )
    roots = _yaml_categories(root, path)
    if not roots:
        raise InputError(path, "no categories in the dictionary", line=_line(root))
    return codebook_from_categories(roots, path)


def _yaml_categories(node: yaml.MappingNode, path: str | Path) -> list[Category]:
    categories: list[Category] = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or not str(key_node.value).strip():
            raise InputError(path, "a category name must be non-empty text", line=_line(key_node))
        category = Category(str(key_node.value).strip(), _line(key_node))
        _fill_yaml_category(category, value_node, path)
        categories.append(category)
    return categories


def _fill_yaml_category(category: Category, node: yaml.Node, path: str | Path) -> None:
    """Terms and sub-categories of one category from its YAML value."""
    if _is_null(node):
        return
    if isinstance(node, yaml.MappingNode):
        category.children.extend(_yaml_categories(node, path))
        return
    if not isinstance(node, yaml.SequenceNode):
        raise InputError(
            path,
            f"category '{category.name}' must hold a list of terms or sub-categories, "
            f"e.g. {category.name}: [first, second*]",
            line=_line(node),
        )
    for item in node.value:
        if isinstance(item, yaml.MappingNode):
            category.children.extend(_yaml_categories(item, path))
        elif isinstance(item, yaml.ScalarNode) and not _is_null(item):
            category.terms.append(Term(str(item.value), _line(item)))
        else:
            raise InputError(
                path, f"category '{category.name}': each term must be text", line=_line(item)
            )


def _is_category_mapping(node: yaml.MappingNode) -> bool:
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            return False
        if _is_null(value_node):
            continue
        if isinstance(value_node, yaml.MappingNode):
            if not _is_category_mapping(value_node):
                return False
        elif isinstance(value_node, yaml.SequenceNode):
            for item in value_node.value:
                if isinstance(item, yaml.MappingNode):
                    if not _is_category_mapping(item):
                        return False
                elif not isinstance(item, yaml.ScalarNode):
                    return False
        else:
            return False
    return True


def _has_terms(node: yaml.Node) -> bool:
    if isinstance(node, yaml.MappingNode):
        return any(_has_terms(value_node) for _key, value_node in node.value)
    if isinstance(node, yaml.SequenceNode):
        return any(isinstance(item, yaml.ScalarNode) or _has_terms(item) for item in node.value)
    return False


def _normalised_breaks(text: str) -> str:
    """YAML text with every line break as ``\\n`` (a CR-only file keeps its line numbers)."""
    return _LINE_BREAK.sub("\n", text)


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


# --------------------------------------------------------------------------------------------
# Categories to codes


def codebook_from_categories(
    roots: list[Category], path: str | Path, name: str | None = None
) -> Codebook:
    """The codebook of a category tree: ids, names, colours and rules (module docstring).

    Sets ``code_id`` on every category, so a caller can find the code a category became.
    ``name`` is the codebook's name (default: the file name without its suffix).
    """
    codes: list[Code] = []
    pending: list[tuple[Category, str | None, str]] = [
        (category, None, slug) for category, slug in reversed(_sibling_slugs(roots))
    ]
    while pending:
        category, parent_id, slug = pending.pop()
        code_id = f"{parent_id}.{slug}" if parent_id else slug
        category.code_id = code_id
        keywords, prefixes = _rules_of(category, path)
        name = _clean(category.name)
        is_chinese = _HAN.search(name) is not None
        codes.append(
            Code(
                code_id=code_id,
                parent_id=parent_id,
                name_zh=name if is_chinese else None,
                name_en=None if is_chinese else name,
                description_zh=None,
                description_en=None,
                rules=CodeRules(code_id=code_id, keywords=keywords, prefixes=prefixes),
                depth=code_id.count("."),
                order=len(codes),
                color=_color(category.color),
                line=category.line,
            )
        )
        pending.extend(
            (child, code_id, child_slug)
            for child, child_slug in reversed(_sibling_slugs(category.children))
        )
    return Codebook(
        name=name or Path(path).stem,
        version_label=None,
        language=None,
        description_zh=None,
        description_en=None,
        codes=tuple(codes),
        source_path=str(path),
    )


def _sibling_slugs(categories: list[Category]) -> list[tuple[Category, str]]:
    """Each category with a slug unique among its siblings (see "Ids" above)."""
    taken: set[str] = set()
    result: list[tuple[Category, str]] = []
    for position, category in enumerate(categories, start=1):
        base = _slug(category.name) or f"category_{position}"
        slug, suffix = base, 1
        while slug in taken:
            suffix += 1
            slug = f"{base}_{suffix}"
        taken.add(slug)
        result.append((category, slug))
    return result


def _slug(name: str) -> str:
    """``[a-z0-9_]`` from a name: accents dropped (``Attitűd`` -> ``attitud``), anything else
    that is not a letter or digit of the Latin alphabet made ``_``; may be empty."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    return re.sub(r"[^a-z0-9_]+", "_", plain.lower()).strip("_")


def _rules_of(category: Category, path: str | Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(keywords, prefixes) of a category, each in file order without repeats."""
    keywords: dict[str, None] = {}
    prefixes: dict[str, None] = {}
    for term in category.terms:
        text = _clean(term.text)
        is_prefix = text.endswith("*")
        stem = text[:-1].strip() if is_prefix else text
        if not stem:
            raise InputError(
                path, f"term '{term.text}' has no text besides its wildcard", line=term.line
            )
        if "*" in stem or "?" in stem:
            raise InputError(
                path,
                f"term '{term.text}': only a '*' at the end of a term is supported (a prefix)",
                line=term.line,
            )
        if "|" in stem:
            raise InputError(
                path, f"term '{term.text}' contains '|', which keywords may not", line=term.line
            )
        (prefixes if is_prefix else keywords)[stem] = None
    return tuple(keywords), tuple(prefixes)


def _color(value: str | None) -> str | None:
    """A ``#rgb`` or ``#rrggbb`` colour as lower-case ``#rrggbb``; anything else is dropped."""
    if value is None or not _COLOR.fullmatch(value.strip()):
        return None
    digits = value.strip()[1:].lower()
    return "#" + ("".join(digit * 2 for digit in digits) if len(digits) == 3 else digits)


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()
