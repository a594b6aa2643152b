from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class UploadForm(FlaskForm):
    file = FileField(
        _l("Filled template (.xlsx)"), validators=[FileRequired(_l("Choose the file to upload."))]
    )


class EmptyForm(FlaskForm):
    """Button-only posts (Import): CSRF and nothing else."""
