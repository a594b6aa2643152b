"""Routes of the nics_api area (filled in by its issue)."""
