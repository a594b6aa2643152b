"""Routes of the customs_api area (filled in by its issue)."""
