"""One account per name as people read it: `CaseRace`, `caserace` and `ＣＡＳＥＲＡＣＥ` are one
name, and `аdmin` (a Cyrillic а) may not pose as `admin`.

Every username has a key, NFKC-normalised and case-folded, that is unique in the database
(`User.username_key`), so two registrations racing with different spellings cannot both win.
A name that NFKC would change (full-width letters, ligatures, circled digits) or that holds a
letter confusable with a Latin one from another script (Cyrillic, Greek, ...; the Unicode
confusables table, through confusable-homoglyphs) is refused: it can only be meant to pass for
another name. Chinese names are welcome.
"""

import unicodedata

from confusable_homoglyphs import confusables


def username_key(username: str) -> str:
    """The form two usernames are compared in: NFKC, then case-folded."""
    return unicodedata.normalize("NFKC", username).casefold()


def username_problem(username: str) -> str | None:
    """Why `username` may not be registered (a message for the 422), or None."""
    if unicodedata.normalize("NFKC", username) != username:
        return "Use ordinary letters and digits (no full-width or decorated forms)."
    if confusables.is_confusable(username, preferred_aliases=["latin", "common"]):
        return "This username mixes in letters that look like Latin ones (e.g. Cyrillic)."
    return None
