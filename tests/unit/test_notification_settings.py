"""The notifications' settings: TOML and TMS_NOTIFICATIONS_* variables, the SMTP password from the
environment only, and a scheduler that refuses an SMTP host it could not send from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tms.notify import build_senders, retry_policy
from tms.settings import load_settings


def test_the_smtp_settings_come_from_the_toml_and_the_environment() -> None:
    settings = load_settings(
        environ={
            "TMS_NOTIFICATIONS_SMTP_HOST": "smtp.example",
            "TMS_NOTIFICATIONS_SMTP_PORT": "587",
            "TMS_NOTIFICATIONS_SMTP_TLS": "starttls",
            "TMS_NOTIFICATIONS_SMTP_PASSWORD": "s3cret",
        }
    )
    assert (settings.notifications_smtp_host, settings.notifications_smtp_port) == ("smtp.example", 587)
    assert settings.notifications_smtp_tls == "starttls" and settings.notifications_smtp_password == "s3cret"
    assert settings.notifications_deliver_every_s == 30 and settings.notifications_default_language == "fr"
    policy = retry_policy(settings)
    assert (policy.base_s, policy.cap_s, policy.webhook_window_h, policy.email_max_attempts) == (30, 3600, 24, 10)


def test_the_smtp_password_is_refused_in_a_settings_file(tmp_path: Path) -> None:
    extra = tmp_path / "prod.toml"
    extra.write_text('[notifications]\nsmtp_password = "in a file"\n')
    with pytest.raises(ValueError, match="TMS_NOTIFICATIONS_SMTP_PASSWORD"):
        load_settings(environ={"TMS_CONFIG": str(extra)})


def test_without_an_smtp_host_only_webhooks_are_sent() -> None:
    senders = build_senders(load_settings(environ={}))
    assert senders.email is None and senders.webhook is not None


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TMS_NOTIFICATIONS_SHOP_NAME": "Maison"}, "sender"),
        ({"TMS_NOTIFICATIONS_SENDER": "shop@example.com"}, "shop_name"),
        (
            {
                "TMS_NOTIFICATIONS_SENDER": "shop@example.com",
                "TMS_NOTIFICATIONS_SHOP_NAME": "Maison",
                "TMS_NOTIFICATIONS_SMTP_TLS": "yes",
            },
            "smtp_tls",
        ),
    ],
)
def test_an_smtp_host_without_what_an_email_needs_is_refused_at_start(environ: dict[str, str], message: str) -> None:
    settings = load_settings(environ={"TMS_NOTIFICATIONS_SMTP_HOST": "127.0.0.1", **environ})
    with pytest.raises(ValueError, match=message):
        build_senders(settings)
