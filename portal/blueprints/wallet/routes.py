"""Routes of the wallet area (filled in by its issue)."""
