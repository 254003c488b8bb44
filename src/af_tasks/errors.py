"""Errors in what a researcher asked for, shown by ``inspect eval`` as one clear message.

Inspect's command line is a click application, and click prints a :class:`click.ClickException`
as ``Error: <message>`` alone, with no traceback, and exits non-zero; any other exception raised
while a task is built ends in a long traceback whose last line is the useful one. (Inspect's own
message-only error type is private to ``inspect_ai``; click's is public, and click is what
Inspect's CLI is built on.) Each class here is also the built-in type the check raised
(``ValueError``, ``FileNotFoundError``...), so Python callers catch what they did before.
:func:`reported_as_parameter_errors` turns the errors a task raises while checking its
parameters into these, in one place, instead of at every check.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import click

P = ParamSpec("P")
R = TypeVar("R")


class _Reported(click.ClickException):
    """A message for the user; Inspect's CLI (click) prints it as ``Error: <message>``, without
    a traceback. click prints it as plain text, so quoted values such as "[STUBBED ...]" stay
    as written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class ParameterError(_Reported, ValueError):
    """A task parameter has a value the task cannot use."""


class MissingFileError(_Reported, FileNotFoundError):
    """A file named by a task parameter does not exist."""


class UnreadableFileError(_Reported, OSError):
    """A file named by a task parameter exists but cannot be read."""


class DataUnavailableError(_Reported, RuntimeError):
    """A dataset named by a task parameter could not be fetched (e.g. no network)."""


def as_reported(err: Exception, context: str) -> Exception:
    """The same error as a reported one, its message prefixed with ``context``."""
    if isinstance(err, _Reported):
        return err
    message = f"{context}: {err}" if context else str(err)
    if isinstance(err, FileNotFoundError):
        return MissingFileError(message)
    if isinstance(err, OSError):
        return UnreadableFileError(message)
    if isinstance(err, ValueError):
        return ParameterError(message)
    return err


def reported_as_parameter_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Report a task's parameter errors (``ValueError``, ``OSError``) without a traceback.

    Applied under ``@task``: everything a task checks happens while it is built, before any
    model call, so an error there is about what the user asked for. The original error stays
    attached as the cause, for a debugger.
    """

    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            check_no_empty_values(signature, kwargs)
            return func(*args, **kwargs)
        except (ValueError, OSError) as err:
            raise as_reported(err, func.__name__) from err

    return wrapper


FILE_PARAMETERS = frozenset({"universe", "prompt_dir", "filter_template_path"})
"""Parameters that name a user's own file or folder and default to None (the shipped one):
given empty (``-T universe=`` reaches the task as None, exactly like leaving it out) the run
would silently use the shipped file instead of the one the user meant to pass."""


def check_no_empty_values(signature: inspect.Signature, kwargs: dict[str, Any]) -> None:
    """Refuse an empty value (``-T name=`` reaches a task as None) for a parameter whose
    default is not None: the run would otherwise fail later with a traceback, or silently use
    nothing. (An empty string is left to the parameter's own check, which names its choices.)
    Also for a file parameter (:data:`FILE_PARAMETERS`) given as None: only an empty ``-T``
    value passes it so (left out, it is not in ``kwargs``)."""
    for name, value in kwargs.items():
        parameter = signature.parameters.get(name)
        if parameter is None:
            continue
        if value is None and name in FILE_PARAMETERS and parameter.default is None:
            raise ValueError(
                f"-T {name} is empty; give the path of your own file (e.g. -T {name}=my_file), "
                f"or leave -T {name} out to use the shipped one."
            )
        if parameter.default in (None, "", inspect.Parameter.empty):
            continue
        if value is None:
            raise ValueError(
                f"-T {name} is empty; give it a value, or leave it out to use the default "
                f"({parameter.default!r})."
            )
