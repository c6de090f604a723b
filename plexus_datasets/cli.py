"""The ``plexus-datasets`` command line.

This module is the one place where errors become exit codes: 0 for success,
1 for a PlexusDatasetsError (one line, no traceback unless ``--debug``),
2 for usage errors (click's own).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from .errors import PlexusDatasetsError

__all__ = ["cli", "main"]


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PlexusDatasetsError as exc:
            if ctx.find_root().params.get("debug"):
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group)
@click.version_option(package_name="plexus-datasets")
@click.option("--db", envvar="PLEXUS_DATASETS_DB", help="SQLite file or SQLAlchemy URL of the embedded store.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, debug: bool) -> None:
    """Versioned, profiled datasets for Plexus scores."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db


def service(ctx: click.Context):  # type: ignore[no-untyped-def]
    from . import connect

    root = ctx.find_root()
    if "service" not in root.obj:
        root.obj["service"] = connect(root.obj.get("db"))
        root.call_on_close(root.obj["service"].close)
    return root.obj["service"]


@cli.command("demo")
@click.pass_context
def demo_command(ctx: click.Context) -> None:
    """Seed the store with the demo scorecard, datasets, versions and profiles."""
    from .demo import seed_demo

    svc = service(ctx)
    summary = seed_demo(svc)
    click.echo(f"Demo data in {svc.backend.description}: {summary}")


@cli.command("info")
@click.pass_context
def info_command(ctx: click.Context) -> None:
    """Show where the store is and how many records it holds."""
    svc = service(ctx)
    click.echo(f"store:      {svc.backend.description}")
    click.echo(f"scorecards: {len(svc.list_scorecards())}")
    click.echo(f"datasets:   {len(svc.list_datasets())}")


@cli.command("serve")
@click.option("--db", "db_option", help="Store to serve: SQLite file or SQLAlchemy URL (default: the embedded store).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--api-key", envvar="PLEXUS_API_KEY", help="Key clients must send in x-api-key [env: PLEXUS_API_KEY].")
@click.option("--insecure-no-auth", is_flag=True, help="Serve without an API key (only for a loopback-only server).")
@click.pass_context
def serve_command(ctx: click.Context, db_option: str | None, host: str, port: int, api_key: str | None,
                  insecure_no_auth: bool) -> None:
    """Serve the store over GraphQL, speaking the Amplify/AppSync contract.

    Point the package at it with PLEXUS_API_URL=http://HOST:PORT/graphql and
    PLEXUS_API_KEY=KEY.
    """
    from .server import serve
    from .settings import Settings

    if not api_key and not insecure_no_auth:
        raise click.UsageError("serve needs --api-key KEY (or PLEXUS_API_KEY), or --insecure-no-auth.")
    db = db_option or ctx.find_root().obj.get("db") or Settings.from_env().database
    auth = "x-api-key required" if api_key else "NO AUTHENTICATION"
    click.echo(f"Serving {db} at http://{host}:{port}/graphql ({auth}); Ctrl+C stops.", err=True)
    serve(db, host=host, port=port, api_key=api_key or None, log_level="warning")


def main() -> None:
    cli(obj={}, prog_name="plexus-datasets")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
