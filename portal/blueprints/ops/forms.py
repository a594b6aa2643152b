"""The console's forms (labels translated lazily)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from portal.portal_login import ButtonForm as ButtonForm  # one button form for both portals


def choices(pairs) -> list[SelectChoice]:
    """SelectField choices (wtforms deprecates plain tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


AUDIENCE_PAIRS = [
    ("all", _l("Everyone")),
    ("customs", _l("Customs")),
    ("holders", _l("Holders")),
    ("chambers", _l("Chambers of commerce")),
]
LANGUAGE_PAIRS = [("en", "English"), ("fr", "Français"), ("es", "Español")]
KIND_PAIRS = [("faq", _l("FAQ entry")), ("page", _l("Help page"))]


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    street = StringField(_l("Street and number"))
    postal_code = StringField(_l("Postal code"))
    city = StringField(_l("City"))
    email = StringField(_l("Email"))
    phone = StringField(_l("Phone"))


class NgaForm(ContactForm):
    country = StringField(_l("Country (ISO code)"), validators=[DataRequired()])
    website = StringField(_l("Website"))


class AssociationForm(ContactForm):
    nga_id = SelectField(_l("National guaranteeing association"), coerce=int)


class ApiClientForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    owner = SelectField(_l("Belongs to"))


class AdministrationForm(FlaskForm):
    code = StringField(_l("Code (two letters)"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired()])
    country = StringField(_l("Country (ISO code)"), validators=[DataRequired()])
    admin_email = EmailField(_l("First admin's email"), validators=[DataRequired()])
    admin_name = StringField(_l("First admin's name"), validators=[DataRequired()])


class AtaStatusForm(FlaskForm):
    country = StringField(_l("Country (ISO code)"), validators=[DataRequired()])
    action = SelectField(
        _l("Change"),
        choices=choices(
            [
                ("announce", _l("Announce a provisional digital date")),
                ("confirm", _l("Confirm the digital date")),
                ("withdraw", _l("Withdraw the digital date")),
            ]
        ),
    )
    digital_from = StringField(_l("Digital from"), render_kw={"type": "date"})
    reason = StringField(_l("Reason"))


class NewsForm(FlaskForm):
    title = StringField(_l("Heading"), validators=[DataRequired()])
    body = TextAreaField(_l("Text (Markdown)"), render_kw={"rows": 12})
    audience = SelectField(_l("Audience"), choices=choices(AUDIENCE_PAIRS))
    language = SelectField(_l("Language"), choices=choices(LANGUAGE_PAIRS))
    # WTForms' default formats read what a browser's datetime-local input sends
    publish_at = DateTimeLocalField(_l("Publish at (UTC)"), validators=[Optional()])
    expires_at = DateTimeLocalField(_l("Expires at (UTC)"), validators=[Optional()])
    # the news this one translates (choices: the news of their own, set by the route)
    version_of = SelectField(_l("Version in another language of"), default="")


class HelpPageForm(FlaskForm):
    title = StringField(_l("Heading"), validators=[DataRequired()])
    slug = StringField(_l("Address (letters, digits, hyphens)"))
    kind = SelectField(_l("Kind"), choices=choices(KIND_PAIRS))
    audience = SelectField(_l("Audience"), choices=choices(AUDIENCE_PAIRS))
    language = SelectField(_l("Language"), choices=choices(LANGUAGE_PAIRS))
    position = IntegerField(_l("Position"), default=0, validators=[Optional()])
    body = TextAreaField(_l("Text (Markdown)"), render_kw={"rows": 12})


class OperatorInviteForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    full_name = StringField(_l("Full name"), validators=[DataRequired()])
