"""Address names (the URL part) made from titles that are Japanese only.

CKAN's forms make a name from a title's Latin letters, so 「避難所一覧」
gives none and the form answers with an error. The dataset form, the
use-case form and the harvest-source form all make one here instead: the
title's Latin words if it has any, else a prefix of the caller's choice and
today's date, and a number when needed to be unique.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable

__all__ = ["latin_words", "free_name"]


def latin_words(title: str, limit: int = 40) -> str:
    """The title's Latin letters and digits, lowercased and joined by ``-``."""
    return "-".join(re.findall(r"[a-z0-9]+", str(title or "").lower()))[:limit].strip("-")


def free_name(prefix: str, title: str, taken: Callable[[str], bool]) -> str:
    """``<prefix>-<latin words of the title or today's date>``, with ``-2``,
    ``-3`` … until ``taken`` says no."""
    words = latin_words(title) or dt.date.today().strftime("%Y%m%d")
    base = "-".join(part for part in (prefix, words) if part)[:90]
    name, n = base, 1
    while taken(name):
        n += 1
        name = f"{base}-{n}"
    return name
