"""Holders, travels, vouchers, transactions, holds (filled in by its issue)."""
__all__: list[str] = []
