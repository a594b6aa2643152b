"""Wallet forms (flask-wtf: CSRF on every form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    MultipleFileField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import PasswordInput


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as wtforms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class RegisterForm(FlaskForm):
    kind = RadioField(
        _l("I register as"),
        choices=choices([("private", _l("Private person")), ("company", _l("Company"))]),
        default="private",
    )
    company_name = StringField(_l("Company name"), validators=[Optional(), Length(max=200)])
    title = SelectField(
        _l("Title"),
        choices=choices(
            [("", "—"), ("Mr", _l("Mr")), ("Ms", _l("Ms")), ("Mx", _l("Mx")), ("Dr", _l("Dr"))]
        ),
        validators=[Optional()],
    )
    given_names = StringField(
        _l("Given names (as on your passport)"), validators=[DataRequired(), Length(max=120)]
    )
    surname = StringField(
        _l("Surname (as on your passport)"), validators=[DataRequired(), Length(max=120)]
    )
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    street = StringField(_l("Street"), validators=[DataRequired(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(), Length(max=20)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=120)])
    state = StringField(_l("State / province"), validators=[Optional(), Length(max=120)])
    country_code = SelectField(
        _l("Country of residence (cannot be changed later)"), validators=[DataRequired()]
    )
    phone = StringField(_l("Cell phone"), validators=[DataRequired(), Length(max=40)])
    # after a refusal about another field the password and PIN are given back (the answer is
    # never cached: Cache-Control no-store); a refused password or PIN is emptied (keep_secrets)
    password = PasswordField(
        _l("Password (at least 15 characters)"),
        validators=[DataRequired(), Length(max=128)],
        widget=PasswordInput(hide_value=False),
    )
    pin = PasswordField(
        _l("Wallet PIN (6 to 12 digits, to unlock your wallet)"),
        validators=[DataRequired(), Length(max=12)],
        widget=PasswordInput(hide_value=False),
    )
    pin_confirm = PasswordField(
        _l("Re-enter the wallet PIN"),
        validators=[DataRequired(), Length(max=12)],
        widget=PasswordInput(hide_value=False),
    )
    accept_terms = BooleanField(_l("I accept the terms of use of the eATA wallet"))

    def keep_secrets(self) -> None:
        """Before showing the form again: empty the password or PINs that were refused."""
        if self.password.errors:
            self.password.data = ""
        if self.pin.errors or self.pin_confirm.errors:
            self.pin.data = self.pin_confirm.data = ""


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])


class ForgotForm(FlaskForm):
    email = EmailField(_l("Email of your wallet"), validators=[DataRequired(), Length(max=254)])


class ResetForm(FlaskForm):
    password = PasswordField(
        _l("New password (at least 15 characters)"), validators=[DataRequired(), Length(max=128)]
    )
    password_confirm = PasswordField(
        _l("Type the new password again"), validators=[DataRequired(), Length(max=128)]
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("6-digit code from your authenticator app"), validators=[DataRequired(), Length(max=10)]
    )


class TotpEnrolForm(CodeForm):
    secret = HiddenField()


class PinForm(FlaskForm):
    pin = PasswordField(_l("Wallet PIN"), validators=[DataRequired(), Length(max=12)])


class ChangePinForm(FlaskForm):
    current_pin = PasswordField(
        _l("Current wallet PIN"), validators=[DataRequired(), Length(max=12)]
    )
    pin = PasswordField(
        _l("New wallet PIN (6 to 12 digits)"), validators=[DataRequired(), Length(max=12)]
    )


class ProfileForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=20)])
    street = StringField(_l("Street"), validators=[DataRequired(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(), Length(max=20)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=120)])
    state = StringField(_l("State / province"), validators=[Optional(), Length(max=120)])
    phone = StringField(_l("Cell phone"), validators=[DataRequired(), Length(max=40)])


class DownloadForm(FlaskForm):
    carnet_ref = StringField(
        _l("eATA ID or carnet number"), validators=[Optional(), Length(max=40)]
    )
    pin = PasswordField(_l("Carnet PIN"), validators=[Optional(), Length(max=20)])
    qr_text = TextAreaField(
        _l("…or paste the text of the carnet's QR code"), validators=[Optional(), Length(max=200)]
    )


class SignForm(FlaskForm):
    signed_name = StringField(
        _l("Your legal name (as signature)"), validators=[DataRequired(), Length(max=250)]
    )
    accept = BooleanField(_l("I accept the general list and my liability as carnet holder"))


class TravelForm(FlaskForm):
    nickname = StringField(
        _l("Name of this travel (optional)"), validators=[Optional(), Length(max=120)]
    )
    departure_country = SelectField(_l("Departure country"), validators=[DataRequired()])
    # the choices follow the departure; the domain says why another destination is refused
    destination_country = SelectField(
        _l("Destination country"), validators=[DataRequired()], validate_choice=False
    )
    transit_countries = SelectMultipleField(
        _l("Transit countries (optional)"), validators=[Optional()]
    )
    transport_mode = SelectField(
        _l("Mode of transport"),
        choices=choices([("air", _l("Air")), ("sea", _l("Sea")), ("land", _l("Land"))]),
        validators=[DataRequired()],
    )
    location = StringField(_l("Location / city / event"), validators=[Optional(), Length(max=200)])
    extra_details = StringField(
        _l("Extra details (flight number, vehicle…)"), validators=[Optional(), Length(max=500)]
    )
    packaging_details = StringField(
        _l("Packaging details"), validators=[Optional(), Length(max=500)]
    )
    items = HiddenField()  # errors of the item picker are shown on this field
    signed_name = StringField(
        _l("Sign the declaration with your legal name"),
        validators=[DataRequired(), Length(max=250)],
    )


class VerifyForm(FlaskForm):
    code = StringField(
        _l("Verification code given by the officer"), validators=[DataRequired(), Length(max=40)]
    )


class ShareForm(FlaskForm):
    days = SelectField(
        _l("Link works for"),
        choices=choices([("1", _l("1 day")), ("7", _l("7 days")), ("30", _l("30 days"))]),
        default="7",
    )
    label = StringField(
        _l("For (name of your representative, optional)"), validators=[Optional(), Length(max=120)]
    )


class EmptyForm(FlaskForm):
    pass


class PredeclarationForm(FlaskForm):
    """The App User Guide's "Predeclarations" screen (F-50); the domain checks the values."""

    office_id = SelectField(_l("Customs port / office"), validators=[DataRequired()], coerce=str)
    expected_date = StringField(_l("Date"), validators=[DataRequired()], render_kw={"type": "date"})
    expected_time = StringField(
        _l("Estimated time (office's local time)"),
        validators=[DataRequired()],
        render_kw={"type": "time"},
    )
    carriage = RadioField(
        _l("Cargo or hand carry"),
        choices=choices([("cargo", _l("Cargo")), ("hand_carry", _l("Hand carry"))]),
        default="hand_carry",
        validators=[DataRequired()],
    )
    shipment_number = StringField(_l("Shipment number"), validators=[Optional(), Length(max=100)])
    transport_mode = RadioField(
        _l("Mode of transport"),
        choices=choices([("air", _l("Air")), ("sea", _l("Sea")), ("land", _l("Land"))]),
        validators=[DataRequired()],
    )
    transport_id = StringField(
        _l("Identification (flight no., vessel, plate)"), validators=[Optional(), Length(max=100)]
    )
    rep_name = StringField(_l("Representative: name"), validators=[Optional(), Length(max=200)])
    rep_eori = StringField(_l("Representative: EORI / ID"), validators=[Optional(), Length(max=40)])
    rep_city = StringField(_l("Representative: city"), validators=[Optional(), Length(max=120)])
    rep_country = SelectField(_l("Representative: country"), validators=[Optional()], coerce=str)
    option = RadioField(
        _l("Options"),
        choices=choices(
            [
                ("", _l("None: pre-notification with the carnet's details")),
                (
                    "notification_only",
                    _l("Allow only pre-notification (without the carnet's details)"),
                ),
                ("automatic", _l("Allow automatic transaction (pre-declaration)")),
            ]
        ),
        default="",
        validators=[Optional()],
    )
    # checked by the upload guard (portal/domain/uploads.py) in the domain, not here
    attachments = MultipleFileField(
        _l("Attachments (PDF, PNG or JPEG; at most 5 files of 5 MB)"),
        render_kw={"accept": "application/pdf,image/png,image/jpeg"},
    )
