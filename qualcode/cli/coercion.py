"""Option and argument values converted without pydantic.

typer (0.29) converts every command-line value through a pydantic ``TypeAdapter``, and so
imports pydantic the moment a command parses its first option: about a third of the start-up
of a small command such as ``qualcode segments`` (bench/README.md, "Start-up"). qualcode's
options only use plain types: ``bool``, ``str``, ``int`` and ``float`` (with ``min``/``max``),
``Path`` (without existence checks), enums of choices, and lists of those. :func:`install`
gives typer a converter for exactly those, with the same error lines ("Input should be ...");
any other annotation, or any parameter option this module does not know, is left to typer.

It hooks typer's ``_TyperParameter.get_runtime_param``, the one place typer builds a
parameter's converter. Should a typer release rename that, :func:`install` changes nothing
and typer's own conversion (with pydantic) runs: slower to start, same behaviour. A test runs
every command's options through both converters (tests/test_cli_coercion.py).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Converter = Callable[[Any], Any]


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("Input should be a valid integer")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(
            "Input should be a valid integer, unable to parse string as an integer"
        ) from None


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("Input should be a valid number")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise ValueError(
            "Input should be a valid number, unable to parse string as a number"
        ) from None


_TRUE = frozenset(("1", "true", "t", "yes", "y", "on"))
_FALSE = frozenset(("0", "false", "f", "no", "n", "off"))


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError("Input should be a valid boolean, unable to interpret input")


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None:
        raise ValueError("None is not a valid string")
    return str(value)


def _ranged(convert: Converter, info: Any) -> Converter:
    low, high, clamp = info.min, info.max, bool(info.clamp)

    def ranged(value: Any) -> Any:
        number = convert(value)
        if low is not None and number < low:
            if clamp:
                return type(number)(low)
            raise ValueError(f"Input should be greater than or equal to {low}")
        if high is not None and number > high:
            if clamp:
                return type(number)(high)
            raise ValueError(f"Input should be less than or equal to {high}")
        return number

    return ranged


def _choice(annotation: type[enum.Enum], info: Any) -> Converter:
    from typer._param_types import coerce_cli_choice

    choices = list(annotation)

    def choose(value: Any) -> Any:
        return coerce_cli_choice(value, choices=choices, case_sensitive=info.case_sensitive)

    return choose


def _path_options_plain(info: Any) -> bool:
    """No existence, kind or permission check and no resolving: ``Path(value)`` is all."""
    return (
        not getattr(info, "exists", False)
        and getattr(info, "file_okay", True)
        and getattr(info, "dir_okay", True)
        and not getattr(info, "writable", False)
        and getattr(info, "readable", True)
        and not getattr(info, "resolve_path", False)
        and getattr(info, "path_type", None) in (None, Path)
        and not getattr(info, "allow_dash", False)
    )


def plain_converter(annotation: Any, info: Any) -> Converter | None:
    """A converter for one value of ``annotation``, or ``None`` to leave it to typer."""
    if getattr(info, "parser", None) is not None or getattr(info, "click_type", None) is not None:
        return None
    if annotation is str:
        return _text
    if annotation is bool:
        return _boolean
    if annotation is int:
        return _ranged(_integer, info)
    if annotation is float:
        return _ranged(_number, info)
    if annotation is Path and _path_options_plain(info):
        return lambda value: value if isinstance(value, Path) else Path(_text(value))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _choice(annotation, info)
    return None


def install() -> None:
    """Make typer convert qualcode's plain option types without importing pydantic."""
    try:
        from typer import _coercion, core
        from typer._click.exceptions import BadParameter
    except ImportError:
        return
    parameter_class = getattr(core, "_TyperParameter", None)
    runtime_base = getattr(_coercion, "RuntimeParam", None)
    original = getattr(parameter_class, "get_runtime_param", None)
    if parameter_class is None or runtime_base is None or original is None:
        return

    @dataclass(frozen=True)
    class PlainRuntimeParam(runtime_base):  # type: ignore[misc, valid-type]
        convert: Converter
        many: bool

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                if self.many:
                    items = value if isinstance(value, list | tuple) else [value]
                    return [self.convert(item) for item in items]
                return self.convert(value)
            except ValueError as error:
                raise BadParameter(str(error), ctx=ctx, param=param) from None

    def get_runtime_param(self: Any) -> Any:
        if getattr(self, "_runtime_param", None) is None:
            descriptor = self.type_descriptor
            annotation, many = descriptor.annotation, False
            if getattr(annotation, "__origin__", None) is list:
                (annotation,) = annotation.__args__
                many = True
            convert = (
                plain_converter(annotation, descriptor.parameter_info)
                if descriptor.file_annotation is None
                else None
            )
            if convert is not None:
                self._runtime_param = PlainRuntimeParam(
                    parameter_info=descriptor.parameter_info,
                    annotation=descriptor.annotation,
                    convert=convert,
                    many=many,
                )
        return original(self)

    parameter_class.get_runtime_param = get_runtime_param
