"""`tms keys create --channel`: a key for a shop's channel, shown by `tms keys list`; a bad name refused."""

from __future__ import annotations

from click.testing import CliRunner

from tms.bootstrap import Container
from tms.cli import main


def test_a_key_is_created_for_a_channel_and_listed_with_it(container: Container, database_url: str) -> None:
    runner = CliRunner()
    env = {"TMS_DATABASE_URL": database_url}
    created = runner.invoke(
        main, ["keys", "create", "--role", "checkout", "--name", "shop", "--channel", "shop-fr"], env=env
    )
    assert created.exit_code == 0, created.output
    assert "channel shop-fr" in created.output
    own = runner.invoke(main, ["keys", "create", "--role", "checkout", "--name", "other"], env=env)
    assert own.exit_code == 0, own.output
    listed = runner.invoke(main, ["keys", "list"], env=env).output.splitlines()
    assert [line.split("\t")[4] for line in listed] == ["shop-fr", f"key-{listed[1].split()[0]}"]


def test_a_channel_that_cannot_name_one_is_refused_and_no_key_is_created(
    container: Container, database_url: str
) -> None:
    runner = CliRunner()
    env = {"TMS_DATABASE_URL": database_url}
    refused = runner.invoke(
        main, ["keys", "create", "--role", "checkout", "--name", "x", "--channel", "Shop FR"], env=env
    )
    assert refused.exit_code != 0 and "channel" in refused.output
    assert runner.invoke(main, ["keys", "list"], env=env).output == ""
