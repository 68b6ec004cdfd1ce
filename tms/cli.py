"""The `tms` command: database migrations, API keys, demo data, serving."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from datetime import datetime
from pathlib import Path

import click

from tms.bootstrap import Container, build_container
from tms.settings import load_settings


def _container() -> Container:
    """The wiring for one command; its database connections are closed when the command ends."""
    container = build_container(load_settings())
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(container.close)
    return container


@click.group()
def main() -> None:
    """mini TMS: carrier rate cards, checkout quotes, shipment planning."""


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database to the latest schema (or REVISION)."""
    from tms.persistence.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}: {_redacted(settings.database_url)}")


@db.command("current")
def db_current() -> None:
    """Print the database's schema revision."""
    from tms.persistence.migrate import current

    click.echo(current(load_settings().database_url) or "empty")


@main.group()
def keys() -> None:
    """API keys."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(["checkout", "manager", "admin"]))
@click.option("--name", required=True, help="Who or what uses the key, e.g. 'shop checkout'")
@click.option(
    "--channel",
    default=None,
    help="The shop or sales channel whose orders the key registers and may cancel, e.g. shop-fr "
    "(default: the key's own, key-<id>)",
)
def keys_create(role: str, name: str, channel: str | None) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from tms.domain.errors import InvalidInput
    from tms.services.access import create_api_key

    container = _container()
    try:
        key, secret = create_api_key(container.uow(), name=name, role=role, now=container.now(), channel=channel)
    except InvalidInput as error:
        raise click.ClickException("; ".join(str(problem) for problem in error.problems)) from None
    click.echo(
        f"created key {key.id} ({key.role.value}, {key.name!r}, channel {key.order_channel}); "
        "keep it now, it is not shown again:"
    )
    click.echo(secret)


@keys.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    from tms.services.access import list_api_keys

    for key in list_api_keys(_container().uow()):
        state = "revoked" if key.revoked_at else "live"
        click.echo(f"{key.id}\t{key.role.value}\t{key.display_prefix}...\t{state}\t{key.order_channel}\t{key.name}")


@keys.command("revoke")
@click.argument("key_id", type=int)
def keys_revoke(key_id: int) -> None:
    """Revoke a key."""
    from tms.services.access import revoke_api_key

    container = _container()
    revoke_api_key(container.uow(), key_id, container.now())
    click.echo(f"revoked key {key_id}")


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.option("--keys-file", default="var/demo-keys.txt", show_default=True)
def demo_load(keys_file: str) -> None:
    """Load the demo carriers' rate cards (idempotent); on an empty key table, create demo keys."""
    from tms.services.demo import load_demo

    container = _container()
    settings = container.settings
    report = load_demo(container.uow, settings.path(settings.demo_rate_cards_dir), container.now())
    for line in report.lines:
        click.echo(line)
    if report.keys:
        path = container.settings.path(keys_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{role}\t{secret}\n" for role, secret in report.keys))
        path.chmod(0o600)
        click.echo(f"demo API keys (also in {keys_file}, readable by you only):")
        for role, secret in report.keys:
            click.echo(f"  {role:9} {secret}")


@main.command("consolidate")
@click.option("--date", "shipping_date", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--warehouse", default=None, help="Warehouse code (default: the first of the warehouses file).")
@click.option("--at", "run_at", default=None, type=click.DateTime(formats=["%H:%M"]), help="Run time (HH:MM).")
def consolidate_command(shipping_date: datetime, warehouse: str | None, run_at: datetime | None) -> None:
    """Run one planning run by hand (the same as the scheduled one): by default the warehouse's first
    run of the day."""
    from tms.domain.errors import Conflict, NotFound
    from tms.scheduler import consolidate

    container = _container()
    _refuse_uncarriable_boxes(container)
    try:
        run_id, plan = consolidate(
            container, shipping_date.date(), "manual", warehouse, run_at.time() if run_at else None
        )
    except (Conflict, NotFound) as error:
        raise click.ClickException(str(error)) from None
    summary = plan.summary()
    click.echo(f"run {run_id} for {shipping_date.date()}:")
    for key in (
        "orders_in",
        "orders_shipped",
        "orders_held",
        "orders_waiting",
        "orders_unplannable",
        "shipments_out",
        "boxes",
        "cost",
        "baseline_cost",
        "savings",
        "lower_bound",
        "gap",
        "solver_status",
        "seconds",
    ):
        click.echo(f"  {key:<20} {summary[key]}")
    for ref, reason in sorted(plan.unplannable.items()):
        click.echo(f"  unplannable {ref}: {reason}")


@main.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduler (the nightly consolidation) in this process; run exactly one of these."""
    import logging

    from tms.scheduler import build_scheduler, schedule_lines

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    container = _container()
    _refuse_uncarriable_boxes(container)
    try:
        scheduler = build_scheduler(container)
    except ValueError as error:  # the notifications' settings (an SMTP host without a sender, ...)
        raise click.ClickException(str(error)) from None
    click.echo("scheduler: planning runs " + "; ".join(schedule_lines(container)) + "; Ctrl-C stops")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


def _refuse_uncarriable_boxes(container: Container) -> None:
    """Stop with the reason when a configured box type is carried by no active service."""
    from tms.services.packing import UncarriableBoxes

    try:
        container.refuse_uncarriable_boxes()
    except UncarriableBoxes as error:
        raise click.ClickException(str(error)) from None


@main.command("run")
def run_command() -> None:
    """Serve the API and run the scheduler beside it (what `make run` uses); Ctrl-C stops both."""
    import signal
    import subprocess

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # a service manager's stop is handled like Ctrl-C
    signal.signal(signal.SIGINT, stop)  # even when started with SIGINT ignored (e.g. in the background)
    tms = str(Path(sys.executable).parent / "tms")
    children = [subprocess.Popen([tms, "serve"]), subprocess.Popen([tms, "scheduler"])]
    click.echo("serving on http://" + load_settings().server_bind + " (API docs at /api/v1/docs); Ctrl-C stops")
    failed = 0  # a child that stopped on its own with an error (e.g. the scheduler refusing the box types)
    try:
        while all(child.poll() is None for child in children):
            try:
                children[0].wait(timeout=1)
            except subprocess.TimeoutExpired:
                continue
        failed = next((child.returncode for child in children if child.returncode), 0)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    if failed:
        raise SystemExit(failed)


# Request headers gunicorn accepts: a header line of up to 16 KiB (gunicorn's default, 8190 bytes,
# answered a 10 KB Authorization header with its own HTML 431 before the app could answer), and a
# request line (method, path and query) of up to 8190 bytes, gunicorn's largest. Past these sizes
# gunicorn still refuses the request itself: 431 for a header, 414 for the request line.
MAX_HEADER_FIELD_BYTES = 16 * 1024
MAX_REQUEST_LINE_BYTES = 8190


def gunicorn_arguments(bind: str, workers: int, threads: int) -> list[str]:
    """gunicorn's options for `tms serve`: where it listens, its workers, its request limits, the app."""
    return [
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--limit-request-line",
        str(MAX_REQUEST_LINE_BYTES),
        "--limit-request-field_size",
        str(MAX_HEADER_FIELD_BYTES),
        "--access-logfile",
        "-",
        "tms.app:create_app()",
    ]


@main.command("serve")
@click.option("--bind", default=None, help="host:port (default from settings), or unix:PATH")
@click.option("--workers", type=int, default=None)
def serve(bind: str | None, workers: int | None) -> None:
    """Serve the API with gunicorn."""
    settings = load_settings()
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    arguments = gunicorn_arguments(
        bind or settings.server_bind, workers or settings.server_workers, settings.server_threads
    )
    os.execv(gunicorn, [gunicorn, *arguments])


def _redacted(url: str) -> str:
    """A database URL without its password, for printing."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
