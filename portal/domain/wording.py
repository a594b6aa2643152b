"""Words of the screens and messages that depend on a number: "1 carnet", "2 carnets"."""

from __future__ import annotations


def plural(n: int, word: str, words: str | None = None) -> str:
    """`n` and the word in the right number: plural(1, "carnet") → "1 carnet";
    plural(3, "carnet") → "3 carnets"; `words` for an irregular plural."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"
