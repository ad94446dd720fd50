"""Front end parsing: a strict command line for :mod:`seedsearch.cli`.

An unknown option or command is a one-line usage error naming the nearest known one
(exit status 2, or a JSON error object with ``--json``); a word such as ``-bitcoin`` may
be a query word rather than an option.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from .cli_output import _fail
from .errors import UsageError

# --- a strict command line ------------------------------------------------------------

# A word that starts with one dash and is not an option is a query word ("-bitcoin" is NOT
# bitcoin); it is marked with a character no command-line argument can hold (NUL) while
# click parses, so click takes it for an argument, then unmarked.
_DASH_WORD = "\0"


class _OneLineUsage(click.Command):
    """Usage errors as one line (or a JSON error object with ``--json``), exit status 2."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        given = list(args)  # click's parser consumes the list it is given
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as err:
            _usage_fail(err, given)


class StrictCommand(_OneLineUsage):
    """A command that refuses what it does not understand: an unknown option is a one-line
    usage error naming the nearest known one, with exit status 2 (or a JSON error object
    on stdout when the line holds ``--json``). Every command also takes ``--index DIR``
    after its name, and ``-h``/``--help``. With ``dash_words=True`` a word such as
    ``-bitcoin`` that is not an option is an argument; after ``--`` every word is one."""

    def __init__(self, *args: Any, dash_words: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dash_words = dash_words
        if not any("--index" in p.opts for p in self.params):
            self.params.append(
                click.Option(
                    ["--index", "index_dir"],
                    metavar="DIR",
                    expose_value=False,
                    callback=_set_index,
                    help="Index folder (also taken before the command, or SEEDSEARCH_INDEX).",
                )
            )

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not self.dash_words:
            return super().parse_args(ctx, args)
        rest = super().parse_args(ctx, self._mark_dash_words(ctx, args))
        for name, value in ctx.params.items():
            if isinstance(value, tuple):
                ctx.params[name] = tuple(
                    v.removeprefix(_DASH_WORD) if isinstance(v, str) else v for v in value
                )
        return rest

    def _mark_dash_words(self, ctx: click.Context, args: list[str]) -> list[str]:
        known: dict[str, bool] = {}  # option name -> whether it takes a value
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    known[name] = not (param.is_flag or param.count)
        out: list[str] = []
        takes_value = False
        for i, arg in enumerate(args):
            if arg == "--" and not takes_value:
                return out + args[i:]
            single = arg.startswith("-") and not arg.startswith("--") and len(arg) > 1
            if single and not takes_value and arg not in known:
                out.append(_DASH_WORD + arg)
            else:
                out.append(arg)
            takes_value = not takes_value and known.get(arg, False)
        return out


class StrictGroup(_OneLineUsage, click.Group):
    """The command group: its commands are :class:`StrictCommand`, and its own usage
    errors (an unknown option before the command, an unknown command) are one line too."""

    command_class = StrictCommand

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as err:
            _usage_fail(err, args)


def _set_index(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(dict)["index"] = value


def _usage_fail(err: click.UsageError, args: Sequence[str]) -> NoReturn:
    """A click usage error as one line (JSON with ``--json``), exit status 2."""
    if type(err).__name__ == "NoArgsIsHelpError" and err.ctx is not None:
        click.echo(err.ctx.get_help())  # a bare "seedsearch": its help, as asked
        sys.exit(0)
    if isinstance(err, click.NoSuchOption):
        name = err.option_name
        message = f"no such option {name}"
        if err.possibilities:
            message += f"; did you mean {err.possibilities[0]}?"
        elif err.ctx is not None:
            message += f" (see '{err.ctx.command_path} --help')"
    else:
        message = err.format_message()
    message = " ".join(message.split()).replace(". Did you mean", "; did you mean")
    message = message[:1].lower() + message[1:]
    words = list(args[: args.index("--")] if "--" in args else args)
    _fail(UsageError(message.rstrip(".")), "--json" in words)
