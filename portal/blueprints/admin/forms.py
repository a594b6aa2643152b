"""Forms of the administration screens. They parse and carry CSRF; every rule (required
fields, lengths, uniqueness, regions of a regional manager, ranges) lives in
portal.domain.organisation, which reports all refused fields at once, each put next to its field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
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
    name = StringField(_l("Name"), validators=[Required()])
    territory_id = SelectField(_l("Customs territory"), coerce=optional_id, validate_choice=False)
    active = BooleanField(_l("Activated"), default=True)


class OfficeForm(FlaskForm):
    region_id = SelectField(
        _l("Region"), coerce=optional_id, validate_choice=False, validators=[Required()]
    )
    name = StringField(_l("Name"), validators=[Required()])
    code = StringField(_l("Office code"))
    street = StringField(_l("Street and number"))
    postal_code = StringField(_l("Postal code"))
    city = StringField(_l("City"))
    country_code = SelectField(_l("Country"), validate_choice=False)
    email = EmailField(_l("Email"))
    phone = StringField(_l("Phone"))
    opening_hours = TextAreaField(_l("Opening hours"))
    latitude = StringField(_l("Latitude"))
    longitude = StringField(_l("Longitude"))
    timezone = SelectField(_l("Time zone"), validate_choice=False)
    is_administrative = BooleanField(_l("Administrative office"))
    is_sea_port = BooleanField(_l("Sea port"))
    is_airport = BooleanField(_l("Airport"))
    is_land_port = BooleanField(_l("Land port"))
    active = BooleanField(_l("Activated"), default=True)


class AccountForm(FlaskForm):
    full_name = StringField(_l("Full name / badge number"), validators=[Required()])
    email = EmailField(_l("Email"), validators=[Required()])
    role = SelectField(_l("Role"), validate_choice=False, validators=[Required()])
    region_id = SelectField(_l("Region"), coerce=optional_id, validate_choice=False)
    office_id = SelectField(_l("Customs office"), coerce=optional_id, validate_choice=False)


class AccountCreateForm(AccountForm):
    active = BooleanField(_l("Activated"), default=True)


class SettingsForm(FlaskForm):
    # the administration's default language (F-83): choices are the shipped languages
    language = SelectField(_l("Default language"), validate_choice=True)
    mfa_mandatory = BooleanField(_l("MFA mandatory for all accounts"))
    invitation_days = IntegerField(
        _l("Invitation link lifetime (days)"),
        validators=[
            InputRequired(_l("Enter a number of days.")),
            NumberRange(1, 30, _l("The invitation link lifetime must be between 1 and 30 days.")),
        ],
    )


class SsoForm(FlaskForm):
    """The administration's OpenID Connect provider (F-19); rules in portal.domain.sso."""

    enabled = BooleanField(_l("Single sign-on is on"))
    display_name = StringField(_l("Name on the login button"))
    issuer = StringField(_l("Issuer URL"))
    client_id = StringField(_l("Client ID"))
    client_secret = PasswordField(_l("Client secret"))
    allowed_domains = TextAreaField(_l("Allowed email domains"))
    builtin_login = BooleanField(_l("Email and password login stays available"))
    trust_mfa = BooleanField(_l("Trust the provider's multifactor authentication"))
    mfa_acr_values = TextAreaField(_l("ACR values that mean multifactor authentication"))
