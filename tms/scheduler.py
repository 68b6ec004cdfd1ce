"""The nightly consolidation, scheduled in ONE process (`tms scheduler`), never in web workers.

Each forked gunicorn worker would otherwise run the job again; even so, a second scheduler
cannot plan a date twice: the run is refused by the store's unique succeeded run per date.
"""

from __future__ import annotations

import logging
from datetime import date
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from tms.bootstrap import Container
from tms.domain.errors import Conflict
from tms.services.consolidation import Plan, run_consolidation

log = logging.getLogger("tms.scheduler")


def consolidate(container: Container, shipping_date: date, trigger: str) -> tuple[int, Plan]:
    return run_consolidation(
        container.uow(),
        container.fresh_book(),
        shipping_date,
        container.plan_settings,
        now=container.now(),
        trigger=trigger,
    )


def nightly_job(container: Container) -> None:
    """Plan the orders of today's shipping date (the run happens in the night before pickups)."""
    today = container.now().astimezone(ZoneInfo(container.settings.timezone)).date()
    try:
        run_id, plan = consolidate(container, today, "schedule")
    except Conflict as error:  # already planned (another scheduler, a restart) or not a shipping day
        log.info("nightly run skipped: %s", error)
        return
    summary = plan.summary()
    log.info(
        "run %s for %s: %s orders in, %s shipments, cost %.2f, savings %.2f, gap %.4f (%s)",
        run_id,
        today,
        summary["orders_in"],
        summary["shipments_out"],
        summary["cost"],
        summary["savings"],
        summary["gap"],
        summary["solver_status"],
    )


def build_scheduler(container: Container) -> BlockingScheduler:
    hour, minute = (int(part) for part in container.settings.consolidation_run_at.split(":"))
    scheduler = BlockingScheduler(timezone=container.settings.timezone)
    scheduler.add_job(
        nightly_job,
        CronTrigger(hour=hour, minute=minute, timezone=container.settings.timezone),
        args=[container],
        id="nightly-consolidation",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    return scheduler
