"""The codebook as other parts of qualcode see it: codes, the codebook tree and its content hash.

A codebook is a tree of codes: themes at the top, codes under them, sub-codes under those, to
any depth. Each code may carry the rules that automatic coding applies
(:class:`qualcode.models.CodeRules`, on the ground floor because matching reads it too). This
module holds the parsed, valid form only; :mod:`qualcode.codebook.files` reads, validates and
writes codebook files (YAML and CSV) and storing versions in the project is
:mod:`qualcode.store.codebooks`' business.

- **Ids.** The full id of a code is the dotted path of slugs from its theme: ``grid`` >
  ``grid_workers`` is ``grid.grid_workers``.
- **Order.** ``Codebook.codes`` is in tree order (a theme, then its descendants depth first,
  siblings as written); ``Code.order`` is the position in that list, so sorting by it
  reproduces the tree.

Content hash: SHA-256 of a canonical JSON form of the codes (full ids in tree order, parents,
names, descriptions, colors, scopes and rule lists, each list sorted; ``prefixes`` and
proximity rules only when a code has any, so that codebooks from before they existed keep
their hash). Comments, formatting, key order, YAML-versus-CSV and line numbers do not change
it; any change to a code, its rules or the tree does. The codebook's own name, version label
and description are not part of it: they label a version, they do not make one.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from qualcode.errors import NotFoundError
from qualcode.models import CodeRules

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
HASH_FORMAT = "qualcode-codebook-1"


@dataclass(frozen=True, slots=True)
class Code:
    """One theme, code or sub-code of a codebook.

    ``code_id`` is the full dotted id, ``parent_id`` the parent's full id (``None`` for a
    theme), ``depth`` 0 for themes, ``order`` the position in the codebook's tree order.
    ``line`` is where the code was defined in its file; it is not part of equality, so the
    same code read from YAML and from CSV compares equal.
    """

    code_id: str
    parent_id: str | None
    name_zh: str | None
    name_en: str | None
    description_zh: str | None
    description_en: str | None
    rules: CodeRules
    depth: int
    order: int
    color: str | None = None
    line: int | None = field(default=None, compare=False)

    @property
    def slug(self) -> str:
        """The last part of the dotted id: ``five_step`` for ``grid.five_step``."""
        return self.code_id.rpartition(".")[2]

    @property
    def is_theme(self) -> bool:
        """True for a top-level code."""
        return self.parent_id is None

    @property
    def has_rules(self) -> bool:
        """True when automatic coding can fire this code (keywords, prefixes, patterns,
        lemmas or proximity rules)."""
        rules = self.rules
        return bool(
            rules.keywords or rules.prefixes or rules.patterns or rules.lemmas or rules.proximity
        )

    def display_name(self, language: Language = "zh") -> str:
        """The name in ``language``, else in the other language, else the id."""
        preferred, other = (
            (self.name_zh, self.name_en) if language == "zh" else (self.name_en, self.name_zh)
        )
        return preferred or other or self.code_id


@dataclass(frozen=True, slots=True)
class Codebook:
    """A parsed, valid codebook: its codes in tree order and the hash of their content.

    ``content_hash`` is computed from ``codes`` (see the module docstring), so a codebook
    rebuilt from stored codes hashes the same as the file it came from.
    """

    name: str
    version_label: str | None
    language: Language | None
    description_zh: str | None
    description_en: str | None
    codes: tuple[Code, ...]
    source_path: str | None = field(default=None, compare=False)
    content_hash: str = field(init=False)
    _by_id: dict[str, Code] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "content_hash", content_hash(self.codes))
        object.__setattr__(self, "_by_id", {code.code_id: code for code in self.codes})

    def __contains__(self, code_id: object) -> bool:
        return code_id in self._by_id

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def get(self, code_id: str) -> Code:
        """The code with this full id; :class:`NotFoundError` (with a suggestion) if none."""
        code = self._by_id.get(code_id)
        if code is None:
            raise NotFoundError(
                f"no code '{code_id}' in codebook '{self.name}'{did_you_mean(code_id, self._by_id)}"
            )
        return code

    def theme_of(self, code_id: str) -> Code:
        """The top-level ancestor of a code (a theme is its own theme)."""
        return self.get(self.get(code_id).code_id.partition(".")[0])

    def children(self, code_id: str | None = None) -> list[Code]:
        """Direct children of a code in order; with ``None``, the themes."""
        if code_id is not None:
            self.get(code_id)
        return [code for code in self.codes if code.parent_id == code_id]

    def themes(self) -> list[Code]:
        """The top-level codes, in order."""
        return self.children(None)

    def descendants(self, code_id: str) -> list[Code]:
        """Every code below ``code_id`` (not the code itself), in tree order."""
        prefix = self.get(code_id).code_id + "."
        return [code for code in self.codes if code.code_id.startswith(prefix)]

    def rules(self) -> list[CodeRules]:
        """The rules of every code that automatic coding can fire, in tree order."""
        return [code.rules for code in self.codes if code.has_rules]


def content_hash(codes: Iterable[Code]) -> str:
    """SHA-256 (hex) of the canonical JSON form of ``codes``; see the module docstring."""
    codes_list = list(codes)
    canonical: list[dict[str, object]] = [
        {
            "id": code.code_id,
            "parent": code.parent_id,
            "name_zh": code.name_zh,
            "name_en": code.name_en,
            "description_zh": code.description_zh,
            "description_en": code.description_en,
            "color": code.color,
            "scope": code.rules.scope,
            "keywords": sorted(code.rules.keywords),
            "exclude": sorted(code.rules.exclude),
            "patterns": sorted(code.rules.patterns),
            "lemmas": sorted(code.rules.lemmas),
            # Only when there are any, so codebooks without prefixes hash as they always did.
            **({"prefixes": sorted(code.rules.prefixes)} if code.rules.prefixes else {}),
        }
        for code in codes_list
    ]
    for entry, code in zip(canonical, codes_list, strict=True):
        if code.rules.proximity:
            # Only when present, so that codebooks without proximity rules keep their hash.
            entry["proximity"] = sorted(
                ([rule.kind, list(rule.terms), rule.within] for rule in code.rules.proximity),
                key=json.dumps,
            )
    payload = json.dumps(
        {"format": HASH_FORMAT, "codes": canonical},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known value, or nothing: for messages."""
    matches = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""
