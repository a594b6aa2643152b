"""The console's screen of an issuing association's first staff account (docs/operator.md,
docs/transition.md "The chamber portal"): the operator invites the association's first staff
admin to chamber.<domain>; that admin invites colleagues there."""

from __future__ import annotations

from flask import flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired

from portal.blueprints.chamber.invitations import send_staff_invitation
from portal.blueprints.ops.app import bp
from portal.blueprints.ops.routes import _get, _refused
from portal.blueprints.ops.session import actor, operator_required
from portal.domain import DomainError, chambers
from portal.extensions import db
from portal.models import IssuingAssociation
from portal.web import render_page


class FirstStaffForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    full_name = StringField(_l("Name"), validators=[DataRequired()])


@bp.route("/associations/<int:ia_id>/staff", methods=["GET", "POST"])
@operator_required
def association_staff(ia_id: int):
    """The association's staff with their state and, while it has no active staff admin, the
    form inviting its first one (afterwards its admins invite their colleagues themselves)."""
    association = _get(IssuingAssociation, ia_id)
    form = FirstStaffForm()
    link = None
    if form.validate_on_submit():
        try:
            staff = chambers.first_admin(
                db.session, association, form.email.data, form.full_name.data, actor()
            )
            link = send_staff_invitation(staff)
            db.session.commit()
            flash(
                _("The invitation was sent to %(email)s.", email=staff.email),
                "success",
            )
            form = FirstStaffForm(formdata=None)
        except DomainError as exc:
            _refused(form, exc)
    people = chambers.staff_of(db.session, association.id)
    return render_page(
        "ops/association_staff.html",
        form=form,
        association=association,
        people=people,
        states=chambers.staff_states(db.session, people),
        has_admin=chambers.has_admin(db.session, association),
        link=link,
        status=422 if form.errors or form.form_errors else 200,
    )
