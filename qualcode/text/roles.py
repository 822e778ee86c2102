"""Roles of speakers: who is the interviewer and who the respondent.

Every respondent-only measure (auto-coding scope, matrices, agreement) depends on these roles,
so the rule is cautious: a role is assigned only where it can be told, and an unclear signal
leaves it ``None``. A wrong role would silently skew every respondent-only analysis; an unknown
one is visible and can be set by hand.

Roles come from, in order: a role already on a turn (a turn table's role column); the role
lexicon (``qualcode/data/speaker_roles.yml``, also for numbered labels such as ``受访者2`` or
``Respondent B``, see :func:`~qualcode.text.labels.role_for_label`); and, for speakers whose
labels are names, who asks the questions (:func:`assign_roles`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from qualcode.models import Role, Turn
from qualcode.text.labels import lexicon, role_for_label, speaker_key

#: With names as labels, the interviewer must have at least this share of question turns...
MIN_QUESTION_SHARE = 0.5
#: ... and a share this much larger than any other speaker's, or no role is assigned.
MIN_QUESTION_MARGIN = 0.3


def assign_roles(turns: list[Turn], text: str) -> list[Turn]:
    """The same turns with ``role`` set per speaker where it can be told.

    A role already on a turn (from a turn table's role column) is kept, and given to the
    speaker's other turns too. Otherwise a speaker whose label is a role word gets that role.
    The other named speakers: if some speaker is an interviewer (by role word or given role),
    they are respondents; if not, and there are at least two of them, the one with the
    clearly largest share of questions is the interviewer and the others respondents. A
    question is a turn containing ？ or ?, ending with a particle such as 吗 or 呢, or opening
    with a question word (both lists in ``layout_words.yml``); "clearly" means at least
    :data:`MIN_QUESTION_SHARE` of the speaker's turns, a share :data:`MIN_QUESTION_MARGIN`
    above anyone else's, and being the first of them to speak (an interview opens with the
    interviewer; a respondent who ends with "您还有什么问题吗？" must not pass for one).
    Header turns and turns without a speaker keep their role (``None``).
    """
    roles: dict[str, Role] = {}  # by speaker key: labels differing in case or spacing agree
    for turn in turns:
        if turn.role is not None and turn.speaker is not None:
            roles.setdefault(speaker_key(turn.speaker), turn.role)

    named: set[str] = set()  # speakers whose labels are names, not role words
    for turn in turns:
        if turn.speaker is None or turn.is_header:
            continue
        key = speaker_key(turn.speaker)
        if key in roles or key in named:
            continue
        role = role_for_label(turn.speaker)
        if role is None:
            named.add(key)
        else:
            roles[key] = role
    if named:
        roles.update(_roles_of_named_speakers(turns, text, named, roles))

    if not roles:
        return list(turns)
    return [
        turn
        if turn.role is not None or turn.speaker is None or turn.is_header
        else Turn(
            turn.start_char, turn.end_char, turn.speaker, roles.get(speaker_key(turn.speaker)),
            turn.start_time, turn.end_time, turn.is_header,
        )
        for turn in turns
    ]  # fmt: skip


def _roles_of_named_speakers(
    turns: Sequence[Turn], text: str, names: set[str], known: dict[str, Role]
) -> dict[str, Role]:
    """Roles for speakers whose labels are names, by the rule in :func:`assign_roles`."""
    if "interviewer" in known.values():
        return dict.fromkeys(names, "respondent")
    interviewer = _clear_questioner(turns, text, names)
    if interviewer is None:
        return {}
    return {name: "interviewer" if name == interviewer else "respondent" for name in names}


def _clear_questioner(turns: Sequence[Turn], text: str, names: set[str]) -> str | None:
    """The speaker (key) among ``names`` who clearly asks most, or ``None``."""
    if len(names) < 2:
        return None
    question = lexicon().question
    asked: Counter[str] = Counter()
    spoken: Counter[str] = Counter()
    first: str | None = None
    for turn in turns:
        if turn.speaker is None or turn.is_header:
            continue
        key = speaker_key(turn.speaker)
        if key not in names:
            continue
        first = first or key
        spoken[key] += 1
        if question.search(text[turn.start_char : turn.end_char]):
            asked[key] += 1
    shares = sorted(((asked[key] / spoken[key], key) for key in spoken), reverse=True)
    if len(shares) < 2:
        return None
    (top_share, top), (second_share, _second) = shares[0], shares[1]
    clear = top_share >= MIN_QUESTION_SHARE and top_share - second_share >= MIN_QUESTION_MARGIN
    if clear and top == first:
        return top
    return None
