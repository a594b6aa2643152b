"""Routes of the bulk area (filled in by its issue)."""
