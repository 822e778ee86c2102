"""YAML composed safely: what codebooks and quanteda dictionaries are read with.

PyYAML's safe loader builds no Python objects, but it still follows every alias, composes
recursively and reads any tag as plain data: a cyclic file or one nested a thousand levels deep
ends in a ``RecursionError`` thousands of lines long, and ``!!python/object/apply:...`` is
silently read as a list. :func:`compose_yaml` refuses all three with the line they are on
(:class:`RefusedYaml`, a :class:`yaml.MarkedYAMLError`, so callers that report YAML errors
report these too).
"""

from __future__ import annotations

from typing import Any

import yaml

#: How deep a codebook's YAML may nest (mappings and lists): the deepest real codebook has a
#: handful of levels; 50 leaves room for any tree and keeps the reader's recursion bounded.
MAX_YAML_DEPTH = 50
#: The tags a codebook may spell out (``!!str 007``); anything else, ``!!python/...`` above
#: all, is refused rather than read as plain data.
_ALLOWED_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")
)
_STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"


class RefusedYaml(yaml.MarkedYAMLError):
    """YAML that is well formed but not allowed in a codebook (see :class:`_CodebookLoader`)."""


class SafeComposer(yaml.SafeLoader):
    """PyYAML's safe composer with three limits checked as the node tree is built.

    An alias may name a scalar only (``*name`` for a mapping or a list repeats a subtree, and
    is how a cycle or an exponential "billion laughs" document is built); mappings and lists
    may nest at most :data:`MAX_YAML_DEPTH` deep (PyYAML composes recursively, so a deeper
    file would end in a ``RecursionError``); and an explicit tag must be one of the plain data
    types. Each refusal carries the line it was found on.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        mark: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None and not isinstance(target, yaml.ScalarNode):
                raise RefusedYaml(
                    problem=f"alias '*{event.anchor}' repeats a mapping or list; aliases may "
                    "only repeat a single value (write the part out)",
                    problem_mark=mark,
                )
            return super().compose_node(parent, index)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in _ALLOWED_TAGS:
            shown = (
                "!!" + tag[len(_STANDARD_TAG_PREFIX) :]
                if tag.startswith(_STANDARD_TAG_PREFIX)
                else tag
            )
            reason = (
                "a codebook is data, and qualcode creates no Python objects from it"
                if shown.startswith("!!python")
                else "only plain text, numbers, lists and mappings are allowed"
            )
            raise RefusedYaml(problem=f"tag '{shown}' is not allowed: {reason}", problem_mark=mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise RefusedYaml(
                    problem=f"nested deeper than {MAX_YAML_DEPTH} levels",
                    problem_mark=mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree of ``text`` (``None`` for an empty document), composed by
    :class:`SafeComposer`; raises :class:`RefusedYaml` or another :class:`yaml.YAMLError`."""
    return yaml.compose(text, Loader=SafeComposer)
