"""The decorator every figure function carries, and the cache an app may put behind all of them.

A figure function takes an Engine first, then plain values (a Scope, Settings, a level ...),
and returns the finished table or values (docs/architecture.md, figures). Called as it is, from
the command line, an export or a test, it computes. The app installs one reader
(dashboard/cached.py) through which every figure call of a page then goes: it checks the
account's scope and keeps results until the data change. The function itself stays reachable as
`.compute` for callers that must bypass any cache.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Engine

from data_access.scope import Scope

F = TypeVar("F", bound=Callable[..., Any])


class Reader(Protocol):
    def __call__(
        self, name: str, engine: Engine, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any: ...


FIGURES: dict[str, Callable[..., Any]] = {}  # "module:function" → the function itself
_reader: list[Reader] = []  # the installed reader, at most one


def figure(function: F) -> F:
    """Registers a figure function; its calls go through the installed reader, if any."""
    name = f"{function.__module__}:{function.__qualname__}"
    FIGURES[name] = function

    signature = inspect.signature(function)

    @functools.wraps(function)
    def read(engine: Engine, *args: Any, **kwargs: Any) -> Any:
        if not _reader:
            return function(engine, *args, **kwargs)
        return _reader[0](name, engine, *canonical_arguments(signature, engine, args, kwargs))

    read.compute = function  # type: ignore[attr-defined]
    read.figure_name = name  # type: ignore[attr-defined]
    return cast(F, read)


def canonical_arguments(
    signature: inspect.Signature, engine: Engine, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arguments of one call as every call for the same figure spells them, so that a
    reader keys them alike: defaults filled in, passed by position where they can be, and a
    `level` of None (the scope's children, as every figure with a level documents) written as
    that level. staffing_by_unit(e, scope, s), (e, scope, s, None) and (e, scope, s, "street")
    of a district are one read, not three (the Overview asked all three)."""
    bound = signature.bind(engine, *args, **kwargs)
    bound.apply_defaults()
    scope = bound.arguments.get("scope")
    if "level" in bound.arguments and bound.arguments["level"] is None and isinstance(scope, Scope):
        bound.arguments["level"] = scope.breakdown_level
    return bound.args[1:], bound.kwargs


def compute(name: str, engine: Engine, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Runs the figure function registered as `name` itself (a reader's cache miss)."""
    return FIGURES[name](engine, *args, **kwargs)


def install_reader(reader: Reader | None) -> None:
    """Puts `reader` behind every figure function (None: they compute again)."""
    _reader.clear()
    if reader is not None:
        _reader.append(reader)
