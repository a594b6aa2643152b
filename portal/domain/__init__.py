"""The rules of eATA: plain functions over a session, no Flask imports."""


class DomainError(Exception):
    """A refused action, with a message a person can read (R-12). `field` names the form field;
    `item`, when the refusal concerns one goods item, its item number (a form with a field per
    item shows the message next to that item's)."""

    status = 400

    def __init__(
        self,
        message: str,
        field: str | None = None,
        code: str = "refused",
        *,
        item: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.item = item

    def by_field(self) -> dict[str, str]:
        """The refusal's messages by form field ("" for the form as a whole): every field of
        a refusal that gathered several (organisation.Invalid's dict, ValidationFailed's
        list), else this one message under its field."""
        errors = getattr(self, "errors", None)
        if isinstance(errors, dict):
            return dict(errors)
        if isinstance(errors, list):
            return {str(e.get("field") or ""): str(e.get("message")) for e in errors}
        return {self.field or "": self.message}


class Invalid(DomainError):
    """Several fields refused at once: `errors` maps each field to its message (the first one is
    also `field`/`message`), so a form shows every error in one round trip."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field, code="invalid")
        self.errors = dict(errors)


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = "Not found.", field: str | None = None):
        super().__init__(message, field, code="not_found")


class Conflict(DomainError):
    status = 409

    def __init__(
        self,
        message: str,
        field: str | None = None,
        code: str = "conflict",
        *,
        item: int | None = None,
    ):
        super().__init__(message, field, code, item=item)


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, message: str = "You are not allowed to do this.", field: str | None = None):
        super().__init__(message, field, code="forbidden")
