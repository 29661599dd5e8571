"""The suite's options, declared once: each with its type, default and ``CONTRACT_*`` variable.

``dayzero-contract`` uses them as its own options; the pytest plugin, loaded on its own
(``pytest -p dayzero_twin.contract_tests.plugin``), offers each as ``--contract-<name>``
and converts what it is given with the very same declarations (:func:`parse`). An
option's name is the :class:`~contract_tests.settings.Settings` field it fills, so
:func:`settings_from` needs no list of its own either.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import click

from dayzero_twin.contract_tests.settings import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_EXPIRY_WAIT,
    DEFAULT_MAX_ROWS,
    DEFAULT_SEED,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKERS,
    LATE_ANSWER_SECONDS,
    MAX_WORKERS,
    Settings,
    random_other_business,
)


class BaseUrlParam(click.ParamType[str, Any]):
    """An http(s) URL, without a trailing slash: paths are appended to it."""

    name = "URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        parts = urllib.parse.urlsplit(str(value))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.fail(f"{value!r} is not an http(s) URL (https://sandbox.example.com)", param, ctx)
        return str(value).rstrip("/")


class BusinessIdParam(click.ParamType[str, Any]):
    """A business id: the contract's ``x-business-id`` is a UUID, so anything else would be
    refused with 422 before the check that needs the business could judge anything."""

    name = "UUID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            self.fail(f"{value!r} is not a UUID", param, ctx)


def _option(*decls: str, envvar: str | None = None, **attrs: Any) -> click.Option:
    # Every option names its environment variable in --help.
    return click.Option(list(decls), envvar=envvar, show_envvar=envvar is not None, **attrs)


BUSINESS = BusinessIdParam()

SETTINGS_OPTIONS: tuple[click.Option, ...] = (
    _option("--base-url", type=BaseUrlParam(), envvar="CONTRACT_BASE_URL",
            help="Implementation under test, e.g. https://sandbox.example.com. "
                 "Default: start this project's mock and check it."),
    _option("--token", envvar="CONTRACT_TOKEN", help="API token."),
    _option("--business-id", type=BUSINESS, envvar="CONTRACT_BUSINESS_ID",
            help="Sandbox business the token may act for."),
    _option("--other-business-id", type=BUSINESS, envvar="CONTRACT_OTHER_BUSINESS_ID",
            help="A business the token may NOT act for. Default: a random UUID."),
    _option("--second-business-id", type=BUSINESS, envvar="CONTRACT_SECOND_BUSINESS_ID",
            help="A second business the token MAY act for; enables the cross-business checks."),
    _option("--max-examples", type=click.IntRange(1), default=DEFAULT_MAX_EXAMPLES,
            show_default=True, envvar="CONTRACT_MAX_EXAMPLES",
            help="Generated requests per operation; CSV property tests run a quarter as "
                 "many files."),
    _option("--seed", type=click.IntRange(0), default=DEFAULT_SEED, show_default=True,
            envvar="CONTRACT_SEED", help="Generation seed: same seed, same requests."),
    _option("--max-rows", type=click.IntRange(1), default=DEFAULT_MAX_ROWS, show_default=True,
            envvar="CONTRACT_MAX_ROWS", help="Row cap of generated CSV files."),
    _option("--timeout", type=click.FloatRange(0, min_open=True), default=DEFAULT_TIMEOUT,
            show_default=True, envvar="CONTRACT_TIMEOUT", help="HTTP timeout, seconds."),
    _option("--max-expiry-wait", type=click.FloatRange(0), default=DEFAULT_MAX_EXPIRY_WAIT,
            show_default=True, envvar="CONTRACT_MAX_EXPIRY_WAIT",
            help="Wait for a presigned upload URL to expire when it lives at most this many "
                 "seconds; else that check is skipped."),
    _option("--large-files", type=click.BOOL, default=True, show_default=True,
            envvar="CONTRACT_LARGE_FILES",
            help="Run the large-file checks (a file of exactly 10,000 rows, 10 MiB PUTs); "
                 "false skips them."),
    _option("--large-file-rows", type=click.IntRange(0), default=10_000, show_default=True,
            envvar="CONTRACT_LARGE_FILE_ROWS",
            help="Most rows one large file may create in the business; below 10,000 the "
                 "row-limit check is skipped."),
    _option("--workers", type=click.IntRange(1, MAX_WORKERS), envvar="CONTRACT_WORKERS",
            help=f"Checks run at a time, each one request at a time: at most N requests in "
                 f"flight (at most {MAX_WORKERS}, so a real API is never flooded). 1 runs "
                 f"them one after another. Default: {DEFAULT_WORKERS} when the "
                 f"implementation answers {LATE_ANSWER_SECONDS * 1000:.0f} ms late or more, "
                 "else 1."),
)
RULE_OPTION = _option("--rule", "rules", multiple=True, metavar="TEXT",
                      help="Only checks whose rule contains TEXT, e.g. '§3.1' (repeatable).")
# What both the command and the standalone plugin accept.
SUITE_OPTIONS: tuple[click.Option, ...] = (*SETTINGS_OPTIONS, RULE_OPTION)
REQUIRED = ("base_url", "token", "business_id")
# The standalone plugin's own spelling of an option: pytest's flags share one namespace.
PLUGIN_PREFIX = "--contract-"


def long_name(option: click.Option) -> str:
    return max(option.opts, key=len)


def plugin_flag(option: click.Option) -> str:
    return PLUGIN_PREFIX + long_name(option).removeprefix("--")


def parse(given: Mapping[str, Any], prog: str) -> dict[str, Any]:
    """Values of :data:`SUITE_OPTIONS`: ``given`` (option name → text, or texts when
    repeatable; ``None`` = not given), else the ``CONTRACT_*`` variable, else the default,
    each converted by its declaration. Raises :class:`click.UsageError` on a bad value."""
    args: list[str] = []
    for option in SUITE_OPTIONS:
        value = given.get(option.name or "")
        for text in (value or []) if option.multiple else [value]:
            if text is not None:
                args += [long_name(option), str(text)]
    command = click.Command(prog, params=list(SUITE_OPTIONS), add_help_option=False)
    return command.make_context(prog, args).params


def settings_from(
    values: Mapping[str, Any], spelling: Callable[[click.Option], str] = long_name
) -> Settings:
    """The run's :class:`Settings` from option values (field name = option name);
    ``spelling`` names a missing option as the user would have given it."""
    missing = [
        f"{spelling(option)} [{option.envvar}]"
        for option in SETTINGS_OPTIONS
        if option.name in REQUIRED and not values.get(option.name)
    ]
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)}")
    fields = {field.name: values[field.name] for field in dataclasses.fields(Settings)}
    fields["other_business_id"] = fields["other_business_id"] or random_other_business()
    return Settings(**fields)


def rules_from(values: Mapping[str, Any]) -> Sequence[str]:
    return tuple(values.get(RULE_OPTION.name or "") or ())


# -- shared by the subcommands (proxy, judge, diff) ----------------------------------------


def report_option(envvar: str, help: str) -> click.Option:
    """``--report FILE``: a Markdown report. One declaration for every command; each
    names its own variable and says what its report holds."""
    return _option("--report", type=click.Path(dir_okay=False), metavar="FILE",
                   envvar=envvar, help=help)


def junit_xml_option(envvar: str, help: str) -> click.Option:
    """``--junit-xml FILE``: a JUnit XML report, declared once like :func:`report_option`."""
    return _option("--junit-xml", type=click.Path(dir_okay=False), metavar="FILE",
                   envvar=envvar, help=help)


F = TypeVar("F", bound=Callable[..., Any])


def as_decorator(option: click.Option) -> Callable[[F], F]:
    """Attach an already declared option to a ``@click.command`` function."""

    def attach(function: F) -> F:
        params = getattr(function, "__click_params__", [])
        params.append(option)
        function.__click_params__ = params  # type: ignore[attr-defined]
        return function

    return attach


def for_subcommand(name: str, help: str | None = None) -> click.Option:
    """The suite's option ``name`` (its flag, type, default and ``CONTRACT_*`` variable)
    for a subcommand, so ``dayzero-contract SUB --base-url A`` and ``dayzero-contract
    --base-url A SUB`` mean the same; only the help may say what it means there."""
    option = next(option for option in SETTINGS_OPTIONS if option.name == name)
    envvar = option.envvar if isinstance(option.envvar, str) else None
    return _option(*option.opts, type=option.type, default=option.default,
                   show_default=option.show_default, envvar=envvar,
                   help=help or option.help)


def group_or_own(ctx: click.Context, names: Sequence[str]) -> dict[str, Any]:
    """The values of a subcommand's suite options (:func:`for_subcommand`), given either
    after the group's name or after the subcommand's: the one typed on the command line
    wins over a variable or default; typed in both places with different values is an
    error (:class:`click.UsageError`: one line, exit 2), never a silent choice. So is a
    group option the subcommand does not take, typed before its name."""
    parent = ctx.parent
    if parent is not None:
        ignored = [
            param.opts[0]
            for param in parent.command.params
            if param.name
            and param.name not in names
            and parent.get_parameter_source(param.name) is click.core.ParameterSource.COMMANDLINE
        ]
        if ignored:
            raise click.UsageError(
                f"{', '.join(ignored)} before {ctx.info_name} would be ignored: "
                f"{ctx.info_name} does not take it there"
            )
    values: dict[str, Any] = {}
    for name in names:
        own = ctx.params[name]
        typed = ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
        if parent is None or name not in parent.params:
            values[name] = own
            continue
        above = parent.params[name]
        typed_above = (
            parent.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
        )
        if typed and typed_above and own != above:
            flag = long_name(next(o for o in SETTINGS_OPTIONS if o.name == name))
            raise click.UsageError(
                f"{flag} given twice with different values ({above!r} before "
                f"{ctx.info_name}, {own!r} after it)"
            )
        values[name] = above if typed_above and not typed else own
    return values
