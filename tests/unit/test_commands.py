"""The operator commands: one module per area under portal/commands/, every group registered
on the app by `portal.commands.register`."""

from __future__ import annotations

EXPECTED = {
    "db": {"upgrade"},
    "refdata": {"load"},
    "ata-status": {"list", "history", "announce", "confirm", "withdraw"},
    "demo": {"load"},
    "customs": {"create", "sso-off"},
    "jobs": {"worker", "scheduler"},
    "outbox": {"drain"},
    "nga": {"create", "add-association", "list"},
    "api-client": {"create", "create-customs", "rotate", "revoke", "purge"},
    "keys": {"new", "rotate"},
    "carnet": {"audit"},
    "monitoring": {"archive", "rebuild-history"},
}


def test_every_command_group_is_registered(app):
    groups = {
        name: set(group.commands) for name, group in app.cli.commands.items() if name in EXPECTED
    }
    assert groups == EXPECTED


def test_a_domain_refusal_is_a_click_error_with_the_users_message(app):
    result = app.test_cli_runner().invoke(args=["carnet", "audit", "999999"])
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output
