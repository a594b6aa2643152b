"""The console's screen of an issuing association's first staff account (docs/operator.md,
docs/transition.md "The chamber portal"): the operator invites the association's first staff
admin to chamber.<domain>; that admin invites colleagues there."""

from __future__ import annotations

from flask import abort, flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired

from portal.blueprints.chamber.invitations import send_staff_invitation
from portal.blueprints.ops.app import bp
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
    association = db.session.get(IssuingAssociation, ia_id)
    if association is None:
        abort(404)
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
        except DomainError as exc:
            db.session.rollback()
            form.email.errors = [*form.email.errors, exc.message]
    return render_page(
        "ops/association_staff.html",
        form=form,
        association=association,
        people=chambers.staff_of(db.session, association.id),
        link=link,
        status=422 if form.errors else 200,
    )
