"""The planning runs, scheduled in ONE process (`tms scheduler`), never in web workers.

Each forked gunicorn worker would otherwise run the job again; even so, a second scheduler
cannot plan a date twice: the run is refused by the store's unique succeeded run per date.
"""

from __future__ import annotations

import logging
from datetime import date, time

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from carriers.tracking import adapters
from carriers.tracking.http import fetch_document
from tms.bootstrap import Container
from tms.domain.errors import DuplicateRun
from tms.domain.plans import Plan
from tms.domain.tracking import TrackingEvent
from tms.notify import build_senders, retry_policy
from tms.services.consolidation import NotAShippingDay, run_consolidation
from tms.services.notifications import DeliveryReport, Senders, deliver_due
from tms.services.promises import WatchReport
from tms.services.tracking import PollReport, poll_open_parcels

log = logging.getLogger("tms.scheduler")


def consolidate(
    container: Container, shipping_date: date, trigger: str, warehouse: str | None = None, run_at: time | None = None
) -> tuple[int, Plan]:
    return run_consolidation(
        container.uow(),
        container.fresh_book(),
        shipping_date,
        container.plan_settings,
        now=container.now(),
        trigger=trigger,
        warehouse=warehouse,
        run_at=run_at,
        points=container.pickup_index.current(),
    )


def planning_job(container: Container, warehouse: str, run_at: time) -> None:
    """Plan the warehouse's orders for today's pickups (a run in the night plans the backlog, one at the
    order cut-off the orders released today)."""
    site = next(w.warehouse for w in container.warehouses if w.warehouse.code == warehouse)
    today = container.now().astimezone(site.zone).date()
    try:
        run_id, plan = consolidate(container, today, "schedule", warehouse, run_at)
    except (DuplicateRun, NotAShippingDay) as error:  # another scheduler, a restart, or a day off
        log.info("run of %s at %s skipped: %s", warehouse, f"{run_at:%H:%M}", error)
        return
    except Exception:  # recorded as a failed run, reason logged at ERROR; the scheduler goes on
        log.exception("run of %s for %s at %s failed", warehouse, today, f"{run_at:%H:%M}")
        return
    summary = plan.summary()
    log.info(
        "run %s of %s for %s at %s: %s orders in, %s shipments, cost %.2f, savings %.2f, gap %.4f (%s)",
        run_id,
        warehouse,
        today,
        f"{run_at:%H:%M}",
        summary["orders_in"],
        summary["shipments_out"],
        summary["cost"],
        summary["savings"],
        summary["gap"],
        summary["solver_status"],
    )


def polled_carriers(container: Container) -> set[str]:
    """The carriers with an adapter and a tracking API url in the settings."""
    return {code for code in adapters() if container.settings.tracking_setting(code, "url")}


def tracking_poll_job(container: Container) -> PollReport | None:
    """Ask each polled carrier's tracking API about its open parcels, and store what it answers."""
    settings = container.settings
    known = adapters()

    def ask(carrier: str, tracking_number: str) -> list[TrackingEvent]:
        adapter = known[carrier]
        request = adapter.request(
            settings.tracking_setting(carrier, "url"), tracking_number, settings.tracking_setting(carrier, "api_key")
        )
        document = fetch_document(request, settings.tracking_timeout_s)
        return [] if document is None else adapter.parse(document)

    carriers = polled_carriers(container)
    if not carriers:
        return None
    try:
        report = poll_open_parcels(
            container.uow(), ask, carriers=carriers, now=container.now(), watch=container.promise_watch
        )
    except Exception:  # the scheduler goes on; the next poll asks again
        log.exception("tracking poll failed")
        return None
    log.info(
        "tracking poll: %s parcels asked, %s failed, %s events new, %s duplicates, %s unmatched",
        report.asked,
        report.failed,
        report.recorded.stored,
        report.recorded.duplicates,
        report.recorded.unmatched,
    )
    return report


def promise_watch_job(container: Container) -> WatchReport | None:
    """Review every open shipment against its promise (the scheduler process only)."""
    try:
        report = container.promise_watch.run(container.uow, container.now())
    except Exception:  # the scheduler goes on; the next watch looks again
        log.exception("promise watch failed")
        return None
    log.info(
        "promise watch: %s shipments reviewed, %s at risk, %s late, %s delivered, %s messages, %s failed",
        report.reviewed,
        report.at_risk,
        report.late,
        report.delivered,
        report.messages,
        report.failed,
    )
    return report


def deliver_notifications_job(container: Container, senders: Senders) -> DeliveryReport | None:
    """Send the outbox's due messages (e-mails to the shoppers, webhooks to the merchant)."""
    settings = container.settings
    try:
        report = deliver_due(
            container.uow(),
            senders,
            clock=container.now,
            policy=retry_policy(settings),
            batch_size=settings.notifications_batch_size,
            max_batches=settings.notifications_max_batches,
        )
    except Exception:  # the scheduler goes on; the messages stay in the outbox for the next pass
        log.exception("outbox delivery failed")
        return None
    if report.claimed:
        log.info(
            "outbox: %s claimed, %s sent, %s to retry, %s dead",
            report.claimed,
            report.sent,
            report.retried,
            report.dead,
        )
    return report


def build_scheduler(container: Container) -> BlockingScheduler:
    """One job per warehouse and planning run, in the warehouse's time zone; the tracking poll; the
    outbox's delivery."""
    scheduler = BlockingScheduler(timezone=container.settings.timezone)
    for setup in container.warehouses:
        site = setup.warehouse
        for run_at in site.planning_runs:
            scheduler.add_job(
                planning_job,
                CronTrigger(hour=run_at.hour, minute=run_at.minute, timezone=site.timezone),
                args=[container, site.code, run_at],
                id=f"planning-{site.code}-{run_at:%H%M}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=3600,
            )
    scheduler.add_job(
        promise_watch_job,
        IntervalTrigger(minutes=container.settings.promises_watch_minutes),
        args=[container],
        id="promise-watch",
        max_instances=1,
        coalesce=True,
    )
    if polled_carriers(container):
        scheduler.add_job(
            tracking_poll_job,
            IntervalTrigger(minutes=container.settings.tracking_poll_minutes),
            args=[container],
            id="tracking-poll",
            max_instances=1,
            coalesce=True,
        )
    scheduler.add_job(
        deliver_notifications_job,
        IntervalTrigger(seconds=container.settings.notifications_deliver_every_s),
        args=[container, build_senders(container.settings)],
        id="outbox-delivery",
        max_instances=1,
        coalesce=True,
    )
    return scheduler


def schedule_lines(container: Container) -> list[str]:
    """The planning runs, one line per warehouse, for the scheduler's banner."""
    lines = []
    for setup in container.warehouses:
        site = setup.warehouse
        lines.append(f"{site.code}: " + ", ".join(f"{t:%H:%M}" for t in site.planning_runs) + f" ({site.timezone})")
    return lines
