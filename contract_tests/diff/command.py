"""``dayzero-contract diff``: exit 0 when both implementations agree, 1 when they differ,
2 when either cannot be reached."""

from __future__ import annotations

from pathlib import Path

import click
import httpx

from dayzero_twin.contract_tests.options import BaseUrlParam, BusinessIdParam
from dayzero_twin.contract_tests.proxy.exchange import redact_text

EXIT_SAME, EXIT_DIFFER, EXIT_ERROR = 0, 1, 2


@click.command("diff")
@click.option(
    "--base-url",
    type=BaseUrlParam(),
    required=True,
    envvar="CONTRACT_BASE_URL",
    show_envvar=True,
    help="The reference implementation.",
)
@click.option(
    "--token", required=True, envvar="CONTRACT_TOKEN", show_envvar=True, help="Its API token."
)
@click.option(
    "--business-id",
    type=BusinessIdParam(),
    required=True,
    envvar="CONTRACT_BUSINESS_ID",
    show_envvar=True,
    help="Its sandbox business.",
)
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
    "--seed",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    envvar="CONTRACT_SEED",
    show_envvar=True,
    help="Same seed, same files.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    default=30.0,
    show_default=True,
    envvar="CONTRACT_TIMEOUT",
    show_envvar=True,
    help="HTTP timeout, seconds.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    envvar="DIFF_REPORT",
    show_envvar=True,
    help="Write a Markdown report.",
)
def diff(
    base_url: str,
    token: str,
    business_id: str,
    against_url: str,
    against_token: str | None,
    against_business_id: str | None,
    seed: int,
    timeout: float,
    report: str | None,
) -> int:
    """Send the same scenario (uploads, bulk calls with each flag, read-backs, refusals:
    no token, bad business id, unknown s3_key, invalid cells, empty file) to both and
    report per rule where they disagree, ids, keys, timestamps and numbers masked."""
    # Imported here: the scenario's data generation (Faker, hypothesis) is slow to
    # import, and every other subcommand would pay for it at start-up.
    from dayzero_twin.contract_tests.diff.compare import differences, markdown
    from dayzero_twin.contract_tests.diff.scenario import Files, Target, observations

    files = Files.build(seed)
    base = Target(base_url, token, business_id)
    against = Target(against_url, against_token or token, against_business_id or business_id)
    secrets = {token, against.token}
    try:
        one = observations(base, files, timeout)
        other = observations(against, files, timeout)
    except httpx.HTTPError as error:
        click.echo(f"diff: cannot complete the scenario: {type(error).__name__}", err=True)
        return EXIT_ERROR
    found = differences(one, other)
    for difference in found:
        click.echo(redact_text(difference.line(), secrets), err=True)
    if report:
        text = markdown(found, base_url, against_url, len(one))
        Path(report).write_text(redact_text(text, secrets), encoding="utf-8")
    verdict = "agree" if not found else f"differ in {len(found)} place(s)"
    click.echo(f"diff: {len(one)} steps; {base_url} and {against_url} {verdict}", err=True)
    return EXIT_DIFFER if found else EXIT_SAME
