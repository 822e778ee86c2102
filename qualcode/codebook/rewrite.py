"""Adding keywords or lemmas to one code of a YAML codebook file, leaving the rest as written.

``qualcode codebook suggest --write`` uses it to add the candidates a researcher picked. The
edit is made in the text itself, at the places the YAML parser reports (the end of the code's
``keywords`` or ``lemmas`` list, or a new list under the code's ``id``), with a comment line
above the list saying what was added, when and from whose coding. Everything else in the
file (comments, key order, quoting, how flow lists are wrapped) stays byte for byte. A
round-trip YAML library (ruamel.yaml) was tried first and rejected: re-emitting the shipped
codebook rewrapped every long flow list and changed the indentation of every code, so the
diff of one added keyword was hundreds of lines.

The result is parsed and validated again before it is returned, and must hold exactly the old
codes plus the additions: a file this module cannot edit safely raises instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import yaml

from qualcode.codebook.files import parse_codebook_yaml
from qualcode.errors import InputError

RuleList = Literal["keywords", "lemmas"]


@dataclass(frozen=True)
class Addition:
    """One value to add to one of a code's rule lists."""

    rule_list: RuleList
    value: str


def add_rules(
    text: str, path: str | Path, code_id: str, additions: Sequence[Addition], note: str
) -> str:
    """``text`` with ``additions`` appended to the rule lists of ``code_id`` and ``note``
    (one line, no ``#``) as a comment above each list that grew."""
    before = parse_codebook_yaml(text, path)
    code = before.get(code_id)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    mapping = _code_node(root, code_id)
    if mapping is None:
        raise InputError(path, f"cannot find code '{code_id}' in the file to add to it")
    id_key, id_value = _key_of(mapping, "id"), _value_of(mapping, "id")
    assert id_key is not None and id_value is not None  # _code_node found the code by its id
    edits: list[tuple[int, str]] = []
    id_line_end = _line_end(text, id_value.end_mark.index)
    indent = " " * id_key.start_mark.column
    comment = f"{indent}# {note}\n"
    for rule_list in ("keywords", "lemmas"):
        values = [addition.value for addition in additions if addition.rule_list == rule_list]
        if not values:
            continue
        key = _key_of(mapping, rule_list)
        if key is None:
            edits.append(
                (
                    id_line_end,
                    f"{comment}{indent}{rule_list}: [{', '.join(map(_scalar, values))}]\n",
                )
            )
            continue
        node = _value_of(mapping, rule_list)
        edits.append((_line_start(text, key.start_mark.index), comment))
        if isinstance(node, yaml.SequenceNode) and node.flow_style:
            closing = node.end_mark.index - 1
            separator = ", " if node.value else ""
            edits.append((closing, separator + ", ".join(map(_scalar, values))))
        elif isinstance(node, yaml.SequenceNode) and node.value:
            item_indent = " " * (node.value[0].start_mark.column - 2)
            after_last = _line_end(text, node.value[-1].end_mark.index)
            edits.append((after_last, "".join(f"{item_indent}- {_scalar(v)}\n" for v in values)))
        else:
            raise InputError(path, f"code '{code_id}': '{rule_list}' is not a list to add to")
    for position, insertion in sorted(edits, key=lambda edit: edit[0], reverse=True):
        text = text[:position] + insertion + text[position:]
    after = parse_codebook_yaml(text, path)
    expected_rules = replace(
        code.rules,
        keywords=code.rules.keywords
        + tuple(a.value for a in additions if a.rule_list == "keywords"),
        lemmas=code.rules.lemmas
        + tuple(a.value.lower() for a in additions if a.rule_list == "lemmas"),
    )
    expected = [
        replace(existing, rules=expected_rules) if existing.code_id == code_id else existing
        for existing in before.codes
    ]
    if list(after.codes) != expected:
        raise InputError(path, f"could not add to code '{code_id}' without changing other codes")
    return text


def _scalar(value: str) -> str:
    """``value`` as a YAML flow scalar: plain when that reads back as the same text."""
    plain_safe = (
        value
        and not any(mark in value for mark in ",[]{}#&*!|>'\"%@`:")
        and (value == value.strip())
    )
    if plain_safe and yaml.safe_load(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)


def _code_node(root: yaml.Node | None, code_id: str) -> yaml.MappingNode | None:
    """The mapping of the code with full id ``code_id`` (ids may be slugs or dotted)."""
    if not isinstance(root, yaml.MappingNode):
        return None
    pending: list[tuple[yaml.Node | None, str | None]] = [(_value_of(root, "codes"), None)]
    while pending:
        codes, parent = pending.pop()
        if not isinstance(codes, yaml.SequenceNode):
            continue
        for item in codes.value:
            if not isinstance(item, yaml.MappingNode):
                continue
            id_node = _value_of(item, "id")
            if not isinstance(id_node, yaml.ScalarNode):
                continue
            written = str(id_node.value).strip()
            full = (
                written
                if parent is None or written.startswith(parent + ".")
                else f"{parent}.{written}"
            )
            if full == code_id:
                return item
            pending.append((_value_of(item, "codes"), full))
    return None


def _key_of(mapping: yaml.MappingNode, name: str) -> yaml.Node | None:
    for key, _value in mapping.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return key
    return None


def _value_of(mapping: yaml.MappingNode, name: str) -> yaml.Node | None:
    for key, value in mapping.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            found: yaml.Node = value
            return found
    return None


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """Just past the newline that ends the line holding ``index`` (or the end of the text)."""
    newline = text.find("\n", index)
    return len(text) if newline == -1 else newline + 1
