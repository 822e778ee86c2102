"""The search syntax of ``qualcode search``: what a query means, parsed once.

A query is a list of clauses that must all hold (words separated by spaces):

- ``网格`` or ``grid``: the segment contains the word (case-insensitive for Latin letters:
  ``grid`` finds ``Grid``, ``école`` finds ``École``; ASCII letters match ASCII letters only,
  so ``s`` does not find the long ``ſ``). One- and two-character Chinese words work like any
  other.
- ``"grid workers"`` or ``"网格 员"``: the quoted text, spaces included, exactly.
- ``grid*``: a Latin word starting with ``grid`` (``grid``, ``grids``, ``gridded``), not one
  that merely contains it (``biggrid``). A Chinese stem has no word edges to find, so
  ``网格*`` means the same as ``网格``.
- ``A OR B``: either; ``OR`` binds tighter than the spaces, so ``网格 志愿者 OR 党员`` is
  网格 and (志愿者 or 党员). It must stand between two words, in capitals (``or`` is a word).
- ``NOT word`` (or ``NOT "a phrase"``): the segment must not contain it. ``--exclude WORD``
  adds the same. A query of exclusions only is refused: it would list nearly everything.

Anything else that cannot be read (an unclosed quote, ``OR`` at an end, ``NOT`` with nothing
after it, ``NOT`` inside an ``OR``) is a :class:`~qualcode.errors.UsageError` saying where.
The parsed :class:`Query` finds its terms in a text (:meth:`Term.spans`); the store narrows
the candidate segments in SQL and leaves the final word to these methods, so both agree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from qualcode.errors import UsageError

#: Characters of a Latin word, for prefix terms' left edge and their continuation.
_WORD_CHARACTER = r"[^\W_]"


def _cased(character: str) -> bool:
    """Whether ``character`` has case variants (``a``/``A``, ``é``/``É``, ``ſ``/``s``)."""
    return (
        character.lower() != character
        or character.upper() != character
        or (character.casefold() != character)
    )


@dataclass(frozen=True)
class Term:
    """One word, phrase or prefix of a query."""

    text: str
    prefix: bool = False

    @property
    def latin_prefix(self) -> bool:
        """A prefix term on a Latin stem (a word edge is required on its left)."""
        return self.prefix and self.text[-1:].isascii() and self.text[-1:].isalnum()

    @property
    def unicode_cased(self) -> bool:
        """Holds a non-ASCII letter with case variants (``é``): matched with Unicode case
        folding (``É``), which SQL's ``lower()`` does not do."""
        return any(not character.isascii() and _cased(character) for character in self.text)

    @property
    def sql_exact(self) -> bool:
        """Found exactly where SQL's ``instr(lower(text), lower(term))`` finds it: no Latin
        prefix and no non-ASCII cased letter, so SQL decides what :meth:`spans` decides."""
        return not self.latin_prefix and not self.unicode_cased

    @property
    def uncased(self) -> bool:
        """No character with case variants (Chinese, digits, punctuation): a plain substring."""
        return not any(_cased(character) for character in self.text)

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        body = re.escape(self.text)
        if not self.unicode_cased:
            # ASCII case folding only, as SQL's lower(): "s" does not match "ſ", "k" not "K".
            body = f"(?a:{body})"
        if self.latin_prefix:
            body = rf"(?<!{_WORD_CHARACTER}){body}{_WORD_CHARACTER}*"
        return re.compile(body, re.IGNORECASE)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Non-overlapping occurrences in ``text``, as ``(start, end)`` code-point offsets."""
        return [match.span() for match in self._pattern.finditer(text)]

    def describe(self) -> str:
        shown = f'"{self.text}"' if " " in self.text else self.text
        return shown + ("*" if self.prefix else "")


@dataclass(frozen=True)
class Query:
    """A parsed query: every clause (a group of alternatives) must match, no exclusion may."""

    clauses: tuple[tuple[Term, ...], ...]
    exclusions: tuple[Term, ...] = ()

    @property
    def terms(self) -> tuple[Term, ...]:
        """Every term that can match (for highlighting), in query order."""
        return tuple(term for clause in self.clauses for term in clause)

    @property
    def sql_exact(self) -> bool:
        """Every term and exclusion is :attr:`Term.sql_exact`: SQL can decide the query."""
        return all(term.sql_exact for term in (*self.terms, *self.exclusions))

    def spans(self, text: str) -> list[tuple[int, int]] | None:
        """Where the query's terms occur in ``text`` (sorted, non-overlapping), or ``None`` if
        the text does not satisfy the query."""
        if any(term.spans(text) for term in self.exclusions):
            return None
        found: list[tuple[int, int]] = []
        for clause in self.clauses:
            clause_spans = [span for term in clause for span in term.spans(text)]
            if not clause_spans:
                return None
            found.extend(clause_spans)
        return _without_overlaps(found)

    def describe(self) -> str:
        """The query as qualcode read it, e.g. ``网格 AND (志愿者 OR 党员) NOT 谣言``."""
        parts = []
        for clause in self.clauses:
            words = " OR ".join(term.describe() for term in clause)
            parts.append(f"({words})" if len(clause) > 1 and len(self.clauses) > 1 else words)
        text = " AND ".join(parts)
        for term in self.exclusions:
            text += f" NOT {term.describe()}"
        return text


def _without_overlaps(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans, each overlapping group merged into one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


#: A quoted phrase (straight or Chinese quotes), or a run of other non-space characters.
_TOKEN = re.compile(r'"(?P<phrase>[^"]*)"?|“(?P<cjk>[^”]*)”?|(?P<word>[^\s"“]+)')


@dataclass(frozen=True)
class _Token:
    text: str
    quoted: bool
    closed: bool
    position: int

    @property
    def operator(self) -> str | None:
        return self.text if not self.quoted and self.text in ("OR", "NOT") else None


def _tokens(query: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(query):
        if match.group("word") is not None:
            tokens.append(_Token(match.group("word"), False, True, match.start()))
            continue
        raw = match.group(0)
        phrase = match.group("phrase") if match.group("phrase") is not None else match.group("cjk")
        closed = len(raw) >= 2 and raw[-1] in '"”'
        tokens.append(_Token(phrase, True, closed, match.start()))
    return tokens


def _term(token: _Token, query: str) -> Term:
    if not token.closed:
        raise UsageError(f"search query {query!r}: the quote at character {token.position + 1} "
                         "is not closed")  # fmt: skip
    text = token.text.strip() if token.quoted else token.text
    prefix = not token.quoted and text.endswith("*")
    if prefix:
        text = text.rstrip("*")
    if not text:
        raise UsageError(
            f"search query {query!r}: {'an empty phrase' if token.quoted else 'a lone *'} at "
            f"character {token.position + 1}; give a word"
        )
    return Term(text, prefix)


def parse_query(query: str, exclude: tuple[str, ...] = ()) -> Query:
    """Read ``query`` (and ``--exclude`` words) into a :class:`Query`; see the module doc."""
    query = unicodedata.normalize("NFC", query).strip()
    tokens = _tokens(query)
    clauses: list[list[Term]] = []
    exclusions: list[Term] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.operator == "NOT":
            if index + 1 >= len(tokens) or tokens[index + 1].operator:
                raise UsageError(f"search query {query!r}: NOT needs a word after it")
            if index + 2 < len(tokens) and tokens[index + 2].operator == "OR":
                raise UsageError(
                    f"search query {query!r}: NOT cannot be one side of an OR; write the "
                    "exclusion on its own (NOT word)"
                )
            exclusions.append(_term(tokens[index + 1], query))
            index += 2
            continue
        if token.operator == "OR":
            raise UsageError(
                f"search query {query!r}: OR at character {token.position + 1} needs a word "
                "on each side"
            )
        clause = [_term(token, query)]
        index += 1
        while index < len(tokens) and tokens[index].operator == "OR":
            if index + 1 >= len(tokens) or tokens[index + 1].operator:
                raise UsageError(
                    f"search query {query!r}: OR at character {tokens[index].position + 1} "
                    "needs a word on each side"
                )
            clause.append(_term(tokens[index + 1], query))
            index += 2
        clauses.append(clause)
    for word in exclude:
        word = unicodedata.normalize("NFC", word).strip()
        if not word:
            raise UsageError("--exclude needs a word")
        exclusions.append(Term(word.rstrip("*"), word.endswith("*")))
    if not clauses:
        raise UsageError(
            "the search query is empty" if not exclusions
            else f"search query {query!r}: give at least one word to look for, not only "
            "exclusions"
        )  # fmt: skip
    return Query(tuple(tuple(clause) for clause in clauses), tuple(exclusions))
