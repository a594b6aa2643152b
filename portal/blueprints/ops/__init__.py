"""The operator's console on ops.<domain> (docs/operator.md): operators log in with password
and TOTP (always), then manage NGAs and chambers, API clients, customs administrations,
countries' ATA statuses, news and help pages. Every change is in the audit trail.

The blueprint is in app.py, so that portal/login.py can load operators (session.py) without
importing the views."""
