"""The chamber portal's forms (labels translated lazily)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo

from portal.portal_login import ButtonForm as ButtonForm  # one button form for both portals


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class EndCarnetForm(FlaskForm):
    """A carnet's discharge or cancellation: a note, then the confirmation."""

    reason = StringField(_l("Note (optional)"))
    confirm = StringField()  # "yes" once the person confirmed


class CoverPageForm(FlaskForm):
    file = FileField(_l("Cover page (PDF, PNG or JPEG, at most 5 MB)"))


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    full_name = StringField(_l("Name"), validators=[DataRequired()])
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("staff", _l("Staff")),
            SelectChoice("admin", _l("Staff admin (also invites colleagues)")),
        ],
    )
