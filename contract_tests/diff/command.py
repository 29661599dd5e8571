"""``dayzero-contract diff``: exit 0 when both implementations agree, 1 when they differ,
2 when either cannot be reached (or an option is wrong).

The reference side's options are the suite's own (:mod:`contract_tests.options`), so they
may be given before ``diff`` or after it; given in both places with different values,
the command refuses to guess (exit 2).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import click
import httpx

from dayzero_twin.contract_tests.exits import EXIT_BROKEN, EXIT_ERROR, EXIT_KEPT
from dayzero_twin.contract_tests.options import (
    BaseUrlParam,
    BusinessIdParam,
    as_decorator,
    for_subcommand,
    group_or_own,
    junit_xml_option,
    long_name,
    report_option,
)
from dayzero_twin.contract_tests.proxy.exchange import redact_text

# The suite's options diff takes, in the suite's declarations.
SHARED = (
    for_subcommand("base_url", "The reference implementation (required)."),
    for_subcommand("token", "Its API token (required)."),
    for_subcommand("business_id", "Its sandbox business (required)."),
    for_subcommand(
        "second_business_id",
        "A second business its token may act for: adds the cross-business steps.",
    ),
    for_subcommand("seed", "Same seed, same files."),
    for_subcommand("timeout"),
    for_subcommand(
        "large_files",
        "Run the large steps (uploads and PUTs of 10 MiB, files of 10,000 rows).",
    ),
)
REQUIRED = ("base_url", "token", "business_id")


def _shared(function: Any) -> Any:
    for option in reversed(SHARED):
        function = as_decorator(option)(function)
    return function


@click.command("diff")
@_shared
@click.option(
    "--against-url",
    type=BaseUrlParam(),
    required=True,
    envvar="DIFF_AGAINST_URL",
    show_envvar=True,
    help="The implementation compared with it.",
)
@click.option(
    "--against-token",
    envvar="DIFF_AGAINST_TOKEN",
    show_envvar=True,
    help="Its token. Default: --token.",
)
@click.option(
    "--against-business-id",
    type=BusinessIdParam(),
    envvar="DIFF_AGAINST_BUSINESS_ID",
    show_envvar=True,
    help="Its business. Default: --business-id.",
)
@click.option(
    "--against-second-business-id",
    type=BusinessIdParam(),
    envvar="DIFF_AGAINST_SECOND_BUSINESS_ID",
    show_envvar=True,
    help="Its second business. Default: --second-business-id.",
)
@as_decorator(
    junit_xml_option("DIFF_JUNIT_XML", "Write a JUnit XML report, one case per rule compared.")
)
@as_decorator(
    report_option("DIFF_REPORT", "Write a Markdown report: the differences, rule by rule.")
)
@click.pass_context
def diff(ctx: click.Context, /, **given: Any) -> int:
    """Send the same scenario (uploads direct and presigned, bulk calls with each flag,
    read-backs and list pages, refusals and tampered URLs, large files) to both and
    report per rule where they disagree, ids and numbers compared by where they appear,
    keys, URLs and cursors by type, creation times as recent or not."""
    # Imported here: the scenario's data generation (Faker, hypothesis) is slow to
    # import, and every other subcommand would pay for it at start-up.
    from dayzero_twin.contract_tests.diff.compare import differences, junit_xml, markdown
    from dayzero_twin.contract_tests.diff.files import Files
    from dayzero_twin.contract_tests.diff.scenario import Plan, Target, observations

    values = {**given, **group_or_own(ctx, [option.name or "" for option in SHARED])}
    missing = [
        f"{long_name(option)} [{option.envvar}]"
        for option in SHARED
        if option.name in REQUIRED and not values[option.name]
    ]
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)}")
    base = Target(
        values["base_url"], values["token"], values["business_id"], values["second_business_id"]
    )
    against = Target(
        values["against_url"],
        values["against_token"] or base.token,
        values["against_business_id"] or base.business_id,
        values["against_second_business_id"] or base.second_business_id,
    )
    plan = Plan(
        Files.build(values["seed"]),
        values["timeout"],
        large_files=values["large_files"],
        second_business=bool(base.second_business_id and against.second_business_id),
    )
    secrets = {base.token, against.token}
    try:
        # Both sides at once, each one request at a time: the two do not share state.
        with ThreadPoolExecutor(max_workers=2) as pool:
            one, other = pool.map(lambda target: observations(target, plan), (base, against))
    except httpx.HTTPError as error:
        click.echo(f"diff: cannot complete the scenario: {type(error).__name__}", err=True)
        return EXIT_ERROR
    found = differences(one, other)
    for difference in found:
        click.echo(redact_text(difference.line(), secrets), err=True)
    if values["report"]:
        text = markdown(found, base.base_url, against.base_url, len(one))
        Path(values["report"]).write_text(redact_text(text, secrets), encoding="utf-8")
    if values["junit_xml"]:
        source = f"{base.base_url} against {against.base_url}"
        xml = junit_xml(found, one, source).decode("utf-8")
        Path(values["junit_xml"]).write_text(redact_text(xml, secrets), encoding="utf-8")
    verdict = "agree" if not found else f"differ in {len(found)} place(s)"
    click.echo(
        f"diff: {len(one)} steps; {base.base_url} and {against.base_url} {verdict}", err=True
    )
    return EXIT_BROKEN if found else EXIT_KEPT
