"""``isletflow calibration``: the bundled population's courses against published targets."""

from __future__ import annotations

import json

import click


def _shown(value: float, big: bool) -> str:
    return f"{value:,.0f}" if big else f"{value * 100:.1f} %"


@click.command()
@click.option(
    "--n",
    "n",
    type=click.IntRange(min=1, max=10**6),
    default=400,
    show_default=True,
    help="How many recipients.",
)
@click.option("--seed", type=click.IntRange(min=0), help="Seed (default: the file's, else 0).")
@click.option(
    "--scenario", default="population", show_default=True, help="A bundled name or a file."
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Processes."
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def calibration(n: int, seed: int | None, scenario: str, workers: int, as_json: bool) -> None:
    """Simulate the bundled population and compare it with every published target."""
    from ..targets import calibrate
    from .casefile import load_scenario

    results = calibrate(load_scenario(scenario), n, seed, workers=workers)
    if as_json:
        click.echo(json.dumps([r.model_dump(mode="json") for r in results], indent=2))
        return
    for r in results:
        big = r.band[1] > 10
        low, high = (_shown(v, big) for v in r.band)
        lo, hi = (_shown(v, big) for v in r.interval)
        value = f"{r.simulated:.2f}" if r.name.startswith("infusions") else _shown(r.simulated, big)
        if r.name.startswith("infusions"):
            low, high, lo, hi = (f"{v:.2f}" for v in (*r.band, *r.interval))
        verdict = "within" if r.within else "OUTSIDE"
        fitted = " (fitted)" if r.fitted else ""
        click.echo(f"{r.name}{fitted}")
        click.echo(f"  published {r.published} [{r.source}]")
        click.echo(
            f"  simulated {value} (95 % {lo}-{hi}, n = {r.count}); band {low}-{high}: {verdict}"
        )
        click.echo(f"  band: {r.why}")
    if not all(r.within for r in results):
        raise SystemExit(1)
