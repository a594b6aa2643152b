from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.domain.passwords import MAX_LENGTH
from portal.web import bounded_int


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Remember me"))


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "text",
            "autocapitalize": "characters",
            "spellcheck": "false",
        },
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )


class ForgotForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class ReauthForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )


class EmailMfaForm(FlaskForm):
    # the address is checked by the domain (portal/domain/values.py), with its words
    address = EmailField(_l("Alternative email address"), validators=[DataRequired()])


class ChangeEmailForm(FlaskForm):
    email = EmailField(_l("New login email"), validators=[DataRequired()])  # checked as above


class OfficeForm(FlaskForm):
    office_id = SelectField(_l("Default office"), coerce=bounded_int, validators=[DataRequired()])


class ButtonForm(FlaskForm):
    """A button-only post: carries the CSRF token."""
