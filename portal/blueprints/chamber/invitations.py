"""The invitation email of a staff account (sent by the operator's console for an association's
first admin, and by a staff admin for a colleague): a single-use link to set the password on
chamber.<domain>. Returns the link (the console shows it, as for customs administrations)."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _

from portal.domain import chambers
from portal.extensions import db
from portal.mail import send_mail
from portal.models import ChamberStaff
from portal.tenancy import site_url


def send_staff_invitation(staff: ChamberStaff) -> str:
    days = chambers.INVITATION_DAYS
    raw = chambers.issue_invitation(db.session, staff, days)
    link = site_url("chamber", path=url_for("chamber.invitation", token=raw))
    send_mail(
        current_app.config,
        staff.email,
        _("Your eATA account for %(association)s", association=staff.association.name),
        _(
            "Hello %(name)s,\n\nAn eATA account was created for you as staff of %(association)s: "
            "its carnets, their discharge and the itinerary advice.\n"
            "Set your password within %(days)s days with this single-use link:\n\n%(link)s\n\n"
            "You will then set up an authenticator app (a code at every login).\n",
            name=staff.full_name,
            association=staff.association.name,
            days=days,
            link=link,
        ),
    )
    return link
