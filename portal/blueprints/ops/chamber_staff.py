"""The console's screen of an issuing association's first staff account (docs/operator.md,
docs/transition.md "The chamber portal"): the operator invites the association's first staff
admin to chamber.<domain>; that admin invites colleagues there."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired

from portal.blueprints.chamber.invitations import send_staff_invitation
from portal.blueprints.ops.app import bp
from portal.blueprints.ops.forms import ButtonForm
from portal.blueprints.ops.routes import _get, _keep_once, _refused, _take_once
from portal.blueprints.ops.session import actor, operator_required
from portal.domain import DomainError, chambers
from portal.extensions import db
from portal.models import ChamberStaff, IssuingAssociation
from portal.web import redirect_to, render_page


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
            _keep_once("staff_invitation", link=link)
            return redirect_to(url_for("ops.association_staff", ia_id=association.id))
        except DomainError as exc:
            _refused(form, exc)
    kept = _take_once("staff_invitation") if request.method == "GET" else None
    link = kept["link"] if kept else None
    people = chambers.staff_of(db.session, association.id)
    return render_page(
        "ops/association_staff.html",
        form=form,
        association=association,
        people=people,
        states=chambers.staff_states(db.session, people),
        has_admin=chambers.has_admin(db.session, association),
        admin_accepted=chambers.has_admin(db.session, association, accepted=True),
        link=link,
        buttons=ButtonForm(),
        status=422 if form.errors or form.form_errors else 200,
    )


@bp.post("/associations/<int:ia_id>/staff/<int:staff_id>/invite")
@operator_required
def association_staff_reinvite(ia_id: int, staff_id: int):
    """A new link for the first staff admin who never accepted (the earlier one stops
    working); shown once after the redirect, and emailed."""
    association = _get(IssuingAssociation, ia_id)
    person = _get(ChamberStaff, staff_id)
    if person.association_id != association.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        chambers.check_first_admin_reinvite(db.session, association, person)
        link = send_staff_invitation(person)
        chambers.record_staff_change(db.session, person, "invitation_resent", actor())
        db.session.commit()
        flash(_("A new invitation link was sent to %(email)s.", email=person.email), "success")
        _keep_once("staff_invitation", link=link)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect_to(url_for("ops.association_staff", ia_id=association.id))
