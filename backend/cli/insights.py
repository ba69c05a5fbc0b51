"""``mirabelle insights``: partner performance from the shell — rebuild the daily roll-ups of a
period, create the events' monthly partitions ahead, set a day's exchange rate, record a file of
codes a partner reports used."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import typer

from backend.cli.common import command_line, out, run_or_exit, settings_or_exit

insights_app = typer.Typer(help="Partner performance: events, daily roll-ups, exchange rates.", no_args_is_help=True)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"a day is YYYY-MM-DD, not {text!r}") from None


def _run(work, code_on_refusal: int = 1):
    settings_or_exit()
    return run_or_exit(work, code_on_refusal=code_on_refusal)


@insights_app.command("rebuild")
def rebuild(
    start: str = typer.Option(..., "--from", help="first day, YYYY-MM-DD (UTC)"),
    end: str = typer.Option(..., "--to", help="last day, YYYY-MM-DD (UTC), included"),
    programme: str | None = typer.Option(None, help="one programme's id; all programmes by default"),
) -> None:
    """Recompute the daily roll-ups of a period from the recorded events, a month at a time, and
    the monthly ones they add up to. Gives the same figures as the worker's incremental roll-up, and
    announces the partners it rebuilt as the roll-up does (``insights.rollups_changed``: their flags
    are judged on the new figures); safe to run again."""
    from backend.insights import rollup

    first, last = _day(start), _day(end)
    if last < first:
        raise typer.BadParameter("--to is before --from")
    programme_id = uuid.UUID(programme) if programme else None
    started = datetime.now()
    cells = _run(lambda: rollup.rebuild_months(first, last, programme_id))
    seconds = (datetime.now() - started).total_seconds()
    out.print(f"[green]{cells:,} roll-up cells rebuilt[/green] from {first} to {last} in {seconds:.1f} s", highlight=False)


@insights_app.command("partitions")
def partitions(months_ahead: int = typer.Option(3, min=0, max=24, help="months after this one")) -> None:
    """Create the monthly partitions of the events table ahead of time (PostgreSQL; the worker's
    daily cron does the same)."""
    from backend.core.clock import utcnow
    from backend.insights import partitions as monthly

    created = _run(lambda: monthly.ensure_ahead(utcnow().date(), months_ahead))
    out.print(f"[green]{len(created)} partitions created[/green] {' '.join(created)}", highlight=False)


@insights_app.command("fx-rate")
def fx_rate(
    day: str = typer.Option(..., help="YYYY-MM-DD"),
    base: str = typer.Option(..., help="currency converted from, e.g. EUR"),
    quote: str = typer.Option(..., help="currency converted to, e.g. INR"),
    rate: str = typer.Option(..., help="units of QUOTE one unit of BASE bought that day, e.g. 90.25"),
) -> None:
    """Record (or correct) a day's exchange rate; spend converts at the latest rate on or before its day."""
    from backend.insights import fx

    view = _run(lambda: fx.set_rate(command_line(), _day(day), base, quote, rate), code_on_refusal=2)
    out.print(f"[green]1 {view.base} = {view.rate} {view.quote}[/green] from {view.day}", highlight=False)


@insights_app.command("used-codes")
def used_codes(
    file: str = typer.Argument(..., help="a CSV with a 'code' column and optionally 'used_at' (ISO 8601)"),
    partner: str = typer.Option(..., help="the partner's id"),
    time_zone: str = typer.Option("UTC", help="the IANA zone a used_at without one is read in, e.g. Asia/Kolkata"),
) -> None:
    """Record the codes a partner reports used (a CSV file): each a redemption and its spend, once
    per reward however often reported. Bad lines are listed and nothing is recorded."""
    from pathlib import Path
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from backend.insights import redemptions

    path = Path(file)
    if not path.is_file():
        raise typer.BadParameter(f"no file at {file}")
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise typer.BadParameter(f"{time_zone} is not an IANA time zone (e.g. Asia/Kolkata)", param_hint="--time-zone") from None

    async def report():
        with path.open("rb") as handle:
            return await redemptions.report_used_codes_file(command_line(), uuid.UUID(partner), handle, zone=zone)

    outcomes = _run(report, code_on_refusal=2)
    counts = {
        status: sum(1 for o in outcomes if o.status == status)
        for status in (redemptions.RECORDED, redemptions.ALREADY_RECORDED, redemptions.UNKNOWN_CODE)
    }
    out.print(
        f"[green]{counts[redemptions.RECORDED]:,} redemptions recorded[/green], {counts[redemptions.ALREADY_RECORDED]:,} already "
        f"recorded, {counts[redemptions.UNKNOWN_CODE]:,} unknown codes (times without a zone read in {zone.key})",
        highlight=False,
    )
    for outcome in outcomes:
        if outcome.status == redemptions.UNKNOWN_CODE:
            out.print(f"line {outcome.line}: unknown code", highlight=False)
