"""Every option of every command converts values as typer's own (pydantic) conversion does,
without importing pydantic (qualcode.cli.coercion)."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer import _click as click
from typer import _coercion
from typer._click.exceptions import BadParameter
from typer.core import TyperGroup
from typer.main import get_command

from qualcode.cli import app

SAMPLES: dict[Any, list[Any]] = {
    str: ["abc", "网格员", "", " spaced "],
    int: ["0", "5", "-1", "abc", "4.2", "99999999999999999999", " 7 "],
    float: ["0", "1.5", "-1", "x", "1e3"],
    bool: ["true", "0", "yes", "off", "maybe", True],
    Path: ["a/b.txt", "网格.db", ""],
}


def parameters() -> Iterator[tuple[str, click.Parameter]]:
    command = get_command(app)
    context = click.Context(command)

    def walk(path: str, current: click.Command) -> Iterator[tuple[str, click.Parameter]]:
        for parameter in current.params:
            yield f"{path} {parameter.name}", parameter
        if isinstance(current, TyperGroup):
            for name in current.list_commands(context):
                sub = current.get_command(context, name)
                assert sub is not None
                yield from walk(f"{path} {name}", sub)

    yield from walk("qualcode", command)


def samples_for(annotation: Any) -> list[Any]:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = [member.value for member in annotation]
        return [*values, *(value.upper() for value in values), "no-such-choice"]
    if getattr(annotation, "__origin__", None) is list:
        (item,) = annotation.__args__
        return [[value] for value in samples_for(item)] + [samples_for(item)[:2]]
    return SAMPLES[annotation]


def outcome(runtime: Any, value: Any, parameter: click.Parameter) -> tuple[str, Any]:
    context = click.Context(get_command(app))
    try:
        return ("value", runtime.coerce(value, param=parameter, ctx=context))
    except BadParameter:
        return ("refused", None)


ALL = list(parameters())


@pytest.mark.parametrize(("name", "parameter"), ALL, ids=[name for name, _ in ALL])
def test_conversion_matches_typers_own(name: str, parameter: click.Parameter) -> None:
    descriptor = parameter.type_descriptor  # type: ignore[attr-defined]
    typers = _coercion.build_runtime_param(descriptor)
    parameter._runtime_param = None  # type: ignore[attr-defined]
    ours = parameter.get_runtime_param()  # type: ignore[attr-defined]
    assert type(ours).__name__ == "PlainRuntimeParam", name  # no option is left to pydantic
    for value in samples_for(descriptor.annotation):
        assert outcome(ours, value, parameter) == outcome(typers, value, parameter), (name, value)
