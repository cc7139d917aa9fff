"""The search key behind `q`: the text itself, its pinyin and its initials, lower-cased.

`search_key("红富士苹果")` holds "红富士苹果", "hongfushipingguo", "hong fu shi ping guo" and
"hfspg", so `q=苹果`, `q=pingguo`, `q=ping guo` and `q=pg` all find it with one substring
match (served on PostgreSQL by a pg_trgm GIN index, see migration 0002).
"""

import re

from pypinyin import Style, lazy_pinyin


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
        text = " ".join((text or "").split())
        if not text:
            continue
        parts.append(text)
        if any("\u3400" <= ch <= "\u9fff" for ch in text):
            parts.extend(_pinyin_forms(text))
    return " | ".join(parts).lower()


def search_terms(q: str) -> list[str]:
    """The words of a query, lower-cased; each must occur in the key."""
    return [term for term in q.lower().split() if term][:8]
