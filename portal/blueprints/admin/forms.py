"""Forms of the administration screens. They parse and carry CSRF; the rules (uniqueness,
regions of a regional manager, ranges) live in portal.domain.organisation, whose refusals are
put next to the field they name."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional


def optional_id(value):
    """Select values: '' → None, digits → int; anything else → 0, an id that never exists, so
    the domain refuses it with its own words ("Choose a region from the list.")."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class EmptyForm(FlaskForm):
    """Button-only posts (delete, disable, reset…): just the CSRF token."""


class RegionForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired("Enter the region name."), Length(max=120)])
    territory_id = SelectField("Customs territory", coerce=optional_id, validate_choice=False)
    active = BooleanField("Activated", default=True)


class OfficeForm(FlaskForm):
    region_id = SelectField("Region", coerce=optional_id, validate_choice=False)
    name = StringField("Name", validators=[InputRequired("Enter the office name."), Length(max=160)])
    code = StringField("Office code", validators=[Optional(), Length(max=32)])
    street = StringField("Street and number", validators=[Length(max=200)])
    postal_code = StringField("Postal code", validators=[Length(max=20)])
    city = StringField("City", validators=[Length(max=120)])
    country_code = SelectField("Country", validate_choice=False)
    email = EmailField("Email", validators=[Length(max=254)])
    phone = StringField("Phone", validators=[Length(max=40)])
    opening_hours = TextAreaField("Opening hours", validators=[Length(max=2000)])
    latitude = StringField("Latitude", validators=[Length(max=20)])
    longitude = StringField("Longitude", validators=[Length(max=20)])
    timezone = SelectField("Time zone", validate_choice=False)
    is_administrative = BooleanField("Administrative office")
    is_sea_port = BooleanField("Sea port")
    is_airport = BooleanField("Airport")
    is_land_port = BooleanField("Land port")
    active = BooleanField("Activated", default=True)


class AccountForm(FlaskForm):
    full_name = StringField("Full name / badge number",
                            validators=[InputRequired("Enter the full name."), Length(max=200)])
    email = EmailField("Email", validators=[InputRequired("Enter an email address."),
                                            Length(max=254)])
    role = SelectField("Role", validate_choice=False)
    region_id = SelectField("Region", coerce=optional_id, validate_choice=False)
    office_id = SelectField("Customs office", coerce=optional_id, validate_choice=False)


class AccountCreateForm(AccountForm):
    active = BooleanField("Activated", default=True)


class SettingsForm(FlaskForm):
    mfa_mandatory = BooleanField("MFA mandatory for all accounts")
    invitation_days = IntegerField(
        "Invitation link lifetime (days)",
        validators=[InputRequired("Enter a number of days."),
                    NumberRange(1, 30, "The invitation link lifetime must be between 1 and 30 days.")],
    )
