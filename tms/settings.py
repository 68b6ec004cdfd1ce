"""Settings: `config/default.toml`, then an optional file named by TMS_CONFIG,
then environment variables (`TMS_DATABASE_URL`, `TMS_UPLOADS_MAX_MB`, ...)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = PROJECT_ROOT / "config" / "default.toml"


@dataclass(frozen=True)
class Settings:
    database_url: str
    database_connect_timeout_s: int = 3
    database_statement_timeout_s: float = 10.0
    database_pool_timeout_s: float = 5.0
    database_health_timeout_s: float = 2.0
    database_retry_after_s: int = 5
    timezone: str = "Europe/Paris"
    server_bind: str = "127.0.0.1:8000"
    server_workers: int = 2
    server_threads: int = 4
    uploads_max_mb: int = 10
    uploads_max_uncompressed_mb: int = 50
    uploads_max_rows: int = 10_000
    uploads_max_columns: int = 256
    uploads_max_cells: int = 100_000
    uploads_max_services: int = 40
    uploads_max_zones: int = 100
    uploads_max_zone_entries: int = 3_000
    uploads_max_remote_area_postcodes: int = 3_000
    uploads_max_brackets: int = 6_000
    uploads_max_surcharges: int = 100
    uploads_max_tiers: int = 50
    uploads_max_problems: int = 100
    uploads_max_pickup_points: int = 50_000
    demo_rate_cards_dir: str = "config/demo"
    warehouses_file: str = "config/warehouses.toml"
    shopify_app_secret: str = ""
    shopify_points_as_rates: bool = False
    pickup_radius_km: float = 15.0
    secret_key: str = ""
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    session_cookie_secure: bool = False
    consolidation_run_at: str = "02:30"
    consolidation_time_limit_s: int = 60
    consolidation_workers: int = 2
    consolidation_holding: bool = True
    consolidation_hold_cost: float = 0.10
    consolidation_fill_ratio: float = 0.85
    consolidation_boxes_file: str = "config/boxes.toml"
    consolidation_carriers_file: str = "config/carriers.toml"
    learning_min_deliveries: int = 30
    learning_half_life_days: float = 56.0
    learning_refresh_s: float = 60.0
    quote_min_on_time_probability: float = 0.0
    quote_bookings_poll_s: float = 5.0
    tracking_poll_minutes: int = 60
    promises_watch_minutes: int = 15
    promises_compensation_code: str = ""
    promises_feedback_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    tracking_timeout_s: float = 10.0
    notifications_smtp_host: str = ""
    notifications_smtp_port: int = 25
    notifications_smtp_tls: str = "none"
    notifications_smtp_user: str = ""
    notifications_smtp_password: str = ""  # from the environment only (ENV_ONLY)
    notifications_smtp_timeout_s: float = 10.0
    notifications_sender: str = ""
    notifications_shop_name: str = ""
    notifications_shop_logo_url: str = ""
    notifications_shop_url: str = ""
    notifications_default_language: str = "fr"
    notifications_deliver_every_s: int = 30
    notifications_batch_size: int = 10
    notifications_max_batches: int = 10
    notifications_lease_s: int = 300
    notifications_webhook_timeout_s: float = 10.0
    notifications_retry_base_s: int = 30
    notifications_retry_cap_s: int = 3600
    notifications_webhook_retry_hours: int = 24
    notifications_email_max_attempts: int = 10
    extra: Mapping[str, Any] = field(default_factory=dict)

    def tracking_setting(self, carrier: str, name: str) -> str:
        """A carrier's tracking setting ([tracking.<carrier>] url, api_key, webhook_secret); '' if unset."""
        return str(self.extra.get(f"tracking_{carrier}_{name}", "") or "")

    def path(self, relative: str) -> Path:
        """A path from the settings, relative to the project root unless absolute."""
        p = Path(relative)
        return p if p.is_absolute() else PROJECT_ROOT / p


# Secrets read from the environment only: a settings file naming one is refused.
ENV_ONLY = {"notifications_smtp_password": "TMS_NOTIFICATIONS_SMTP_PASSWORD"}


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}_"))
        else:
            flat[name] = value
    return flat


def _cast(text: str, default: Any, variable: str) -> Any:
    """Give an environment value the type of the default it replaces."""
    try:
        if isinstance(default, bool):
            if text.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                raise ValueError(text)
            return text.lower() in {"1", "true", "yes"}
        if isinstance(default, int | float):
            return type(default)(text)
    except ValueError:
        raise ValueError(f"{variable}={text!r} is not a valid {type(default).__name__}") from None
    return text


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    values = _flatten(tomllib.loads(DEFAULT_FILE.read_text()))
    extra_file = environ.get("TMS_CONFIG")
    if extra_file:
        values.update(_flatten(tomllib.loads(Path(extra_file).read_text())))
    known = {f for f in Settings.__dataclass_fields__ if f != "extra"}
    for name, variable in ENV_ONLY.items():
        if name in values:
            raise ValueError(f"{name} is read from the environment only: set {variable}, not a settings file")
    for name in list(values):
        env_value = environ.get(f"TMS_{name.upper()}")
        if env_value is not None:
            values[name] = _cast(env_value, values[name], f"TMS_{name.upper()}")
    for name, variable in ENV_ONLY.items():
        if variable in environ:
            values[name] = environ[variable]
    values.update(overrides or {})
    extra = {k: v for k, v in values.items() if k not in known}
    settings = Settings(**{k: v for k, v in values.items() if k in known}, extra=extra)
    return _resolve_sqlite_path(settings)


def _resolve_sqlite_path(settings: Settings) -> Settings:
    """A relative SQLite path is relative to the project root, whatever the working directory."""
    prefix = "sqlite:///"
    url = settings.database_url
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        path = PROJECT_ROOT / url[len(prefix) :]
        path.parent.mkdir(parents=True, exist_ok=True)
        from dataclasses import replace

        return replace(settings, database_url=f"{prefix}{path}")
    return settings
