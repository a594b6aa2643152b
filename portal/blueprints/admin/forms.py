"""Forms of the administration screens. They parse and carry CSRF; every rule (required
fields, lengths, uniqueness, regions of a regional manager, ranges) lives in
portal.domain.organisation, which reports all refused fields at once, each put next to its field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange

from portal.web import bounded_int


class Required:
    """Marks a field required (the label's asterisk); the domain does the checking."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        return None


def optional_id(value):
    """Select values: '' → None, digits → int; anything else → 0, an id that never exists, so
    the domain refuses it with its own words ("Choose a region from the list.")."""
    if value in (None, "", "None"):
        return None
    try:
        return bounded_int(value)
    except (TypeError, ValueError):
        return 0


class EmptyForm(FlaskForm):
    """Button-only posts (delete, disable, reset…): just the CSRF token."""


class RegionForm(FlaskForm):
    name = StringField("Name", validators=[Required()])
    territory_id = SelectField("Customs territory", coerce=optional_id, validate_choice=False)
    active = BooleanField("Activated", default=True)


class OfficeForm(FlaskForm):
    region_id = SelectField(
        "Region", coerce=optional_id, validate_choice=False, validators=[Required()]
    )
    name = StringField("Name", validators=[Required()])
    code = StringField("Office code")
    street = StringField("Street and number")
    postal_code = StringField("Postal code")
    city = StringField("City")
    country_code = SelectField("Country", validate_choice=False)
    email = EmailField("Email")
    phone = StringField("Phone")
    opening_hours = TextAreaField("Opening hours")
    latitude = StringField("Latitude")
    longitude = StringField("Longitude")
    timezone = SelectField("Time zone", validate_choice=False)
    is_administrative = BooleanField("Administrative office")
    is_sea_port = BooleanField("Sea port")
    is_airport = BooleanField("Airport")
    is_land_port = BooleanField("Land port")
    active = BooleanField("Activated", default=True)


class AccountForm(FlaskForm):
    full_name = StringField("Full name / badge number", validators=[Required()])
    email = EmailField("Email", validators=[Required()])
    role = SelectField("Role", validate_choice=False, validators=[Required()])
    region_id = SelectField("Region", coerce=optional_id, validate_choice=False)
    office_id = SelectField("Customs office", coerce=optional_id, validate_choice=False)


class AccountCreateForm(AccountForm):
    active = BooleanField("Activated", default=True)


class SettingsForm(FlaskForm):
    mfa_mandatory = BooleanField("MFA mandatory for all accounts")
    invitation_days = IntegerField(
        "Invitation link lifetime (days)",
        validators=[
            InputRequired("Enter a number of days."),
            NumberRange(1, 30, "The invitation link lifetime must be between 1 and 30 days."),
        ],
    )


class SsoForm(FlaskForm):
    """The administration's OpenID Connect provider (F-19); rules in portal.domain.sso."""

    enabled = BooleanField("Single sign-on is on")
    display_name = StringField("Name on the login button")
    issuer = StringField("Issuer URL")
    client_id = StringField("Client ID")
    client_secret = PasswordField("Client secret")
    allowed_domains = TextAreaField("Allowed email domains")
    builtin_login = BooleanField("Email and password login stays available")
    trust_mfa = BooleanField("Trust the provider's multifactor authentication")
    mfa_acr_values = TextAreaField("ACR values that mean multifactor authentication")
