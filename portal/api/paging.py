"""The `page` and `per_page` arguments of the API's lists (1-based, bounded)."""

from __future__ import annotations

from flask import request

from portal.domain.carnets import ValidationFailed

MAX_PAGE = 1_000_000
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50


def page_args() -> tuple[int, int]:
    """(page, per_page) from the query; a value that is not a whole number in range is a 422."""
    errors = []
    values = {}
    for name, default, high in (
        ("page", 1, MAX_PAGE),
        ("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE),
    ):
        raw = request.args.get(name)
        if raw is None:
            values[name] = default
            continue
        try:
            values[name] = int(raw)
        except ValueError:
            values[name] = default
            errors.append({"field": name, "message": "Must be a whole number."})
            continue
        if not 1 <= values[name] <= high:
            errors.append({"field": name, "message": f"Must be between 1 and {high}."})
    if errors:
        raise ValidationFailed(errors)
    return values["page"], values["per_page"]
