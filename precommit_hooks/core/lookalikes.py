"""Look-alike identities: text that reads as one address and is another.

A full-width ``ａ`` or a Cyrillic ``а`` in place of a Latin ``a`` passes for
``alice@example.com`` to a reader, and is another person to a computer.
:func:`check_lookalikes` refuses both (NFKC changes the first; the second
mixes scripts in one part of the address); :func:`identity_key` maps an
address and its look-alikes to one key, so a look-alike beside the original
is reported as a duplicate too.

The template's ``hooks/pre_gen_project.py`` holds a copy of
:func:`script_of` and :func:`check_lookalikes`: cookiecutter runs that hook
from a temporary copy with only the standard library (cookiecutter#824), so
it cannot import this package.  ``tests/unit/access/test_lookalikes.py``
fails when the two copies differ.
"""

from __future__ import annotations

import re
import unicodedata

# Lowercase Cyrillic and Greek letters that Unicode's confusables.txt maps to
# a Latin letter (after NFKC and casefold, so capitals are covered too).
# fmt: off
_CONFUSABLE = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k",
        "ӏ": "l", "о": "o", "р": "p", "ԛ": "q", "ѕ": "s", "т": "t", "у": "y",
        "х": "x", "с": "c", "ԁ": "d", "ԝ": "w", "ѵ": "v", "ɡ": "g",
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v",
        "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ϳ": "j",
    }
)
# fmt: on


def identity_key(email: str) -> str:
    """One key for an address and its look-alikes: NFKC, casefold, Latin letters."""
    return unicodedata.normalize("NFKC", email).casefold().translate(_CONFUSABLE)


def script_of(char: str) -> str:
    """The script of a letter, from its Unicode name ("CYRILLIC SMALL LETTER A")."""
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def check_lookalikes(name: str, value: str) -> str:
    """Refuse text NFKC changes, or a part (name, domain label) mixing scripts.

    A Cyrillic 'а' inside a Latin name looks the same and is another address.
    """
    normal = unicodedata.normalize("NFKC", value)
    if normal != value:
        return f"{name} {value!r} is not in NFKC form: type it as {normal!r}"
    for part in re.split(r"[@.]", value):
        letters = [c for c in part if unicodedata.category(c).startswith("L")]
        scripts = {script_of(c): c for c in reversed(letters)}  # first of each
        if len(scripts) > 1:
            shown = ", ".join(
                f"{s.title()} {c!r} (U+{ord(c):04X})" for s, c in scripts.items()
            )
            return (
                f"{name} {value!r} mixes scripts in {part!r} ({shown}), a look-alike"
                " of another address: type it in one script"
            )
    return ""
