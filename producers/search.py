"""The search key behind `q`: the text itself, its pinyin and its initials, lower-cased.

`search_key("红富士苹果")` holds "红富士苹果", "hongfushipingguo", "hong fu shi ping guo" and
"hfspg", so `q=苹果`, `q=pingguo`, `q=ping guo` and `q=pg` all find it with one substring
match (served on PostgreSQL by a pg_trgm GIN index, see migration 0002).
"""

import re

from pypinyin import Style, lazy_pinyin

# What a phone form fills (API.md, second wave): a listing's description and story and a
# producer's story are at most this long; the API refuses longer with 422.
TEXT_MAX = 2000
# The key is built from bounded text whatever was stored (the admin, older rows): each text
# at most TEXT_MAX characters as written, and the pinyin forms (about 13 letters per Chinese
# character, the 9x growth of an unbounded key) of its first PINYIN_MAX characters only, where
# what people look for by sound is: a name, a kind of goods, a place.
PINYIN_MAX = 200


def _words(pieces: list[str]) -> list[str]:
    # lazy_pinyin passes what is not Chinese through as it is: keep its letters and digits,
    # drop spaces and punctuation ("红富士·苹果" is "hongfushipingguo", not "hongfushi·pingguo").
    return [word for piece in pieces for word in re.findall(r"[^\W_]+", piece)]


def _pinyin_forms(text: str) -> list[str]:
    syllables = _words(lazy_pinyin(text))
    initials = _words(lazy_pinyin(text, style=Style.FIRST_LETTER))
    return ["".join(syllables), " ".join(syllables), "".join(initials)]


def search_key(*texts: str) -> str:
    parts: list[str] = []
    for text in texts:
        text = " ".join((text or "")[:TEXT_MAX].split())
        if not text:
            continue
        parts.append(text)
        head = text[:PINYIN_MAX]
        if any("\u3400" <= ch <= "\u9fff" for ch in head):
            parts.extend(_pinyin_forms(head))
    return " | ".join(parts).lower()


def search_terms(q: str) -> list[str]:
    """The words of a query, lower-cased; each must occur in the key."""
    return [term for term in q.lower().split() if term][:8]
