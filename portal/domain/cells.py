"""Spreadsheet cells: the one formula neutraliser of every export and of bulk creation.

Text a spreadsheet would run as a formula (CSV/XLSX injection) starts with = + - @, a tab or a
carriage return. Exports write it with a leading apostrophe; bulk creation refuses it in a cell
typed by a person, in the upload and in the cleaning session alike.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def safe_cell(value: Any) -> Any:
    """`value` as written into a spreadsheet: formula-like text gets a leading apostrophe;
    numbers, dates and other text pass through."""
    return "'" + value if looks_like_formula(value) else value
