"""Empty-like answers: blank, only punctuation, or a non-answer ("n/a", "keine", "brak").

>>> is_empty_like("Keine Angabe.")
True
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = ["is_empty_like"]

_NON_ANSWERS_RAW = {
    "en": "n/a, na, n.a., none, no, nope, nothing, nil, null, nan, no comment, no comments, "
    "nothing to add, nothing else, nothing to say, nothing really, none really, not applicable, "
    "no idea, don't know, dont know, idk, no opinion, x, xx, xxx",
    "de": "keine, kein, keins, nichts, nein, nix, k.a., k. a., keine angabe, keine angaben, "
    "kein kommentar, keine anmerkungen, keine anmerkung, nichts hinzuzufügen, nichts weiter, "
    "keine ahnung, weiß nicht, weiss nicht",
    "pl": "brak, nic, nie, brak uwag, bez uwag, brak komentarza, nie mam uwag, nie wiem, "
    "nic do dodania, brak zdania",
    "fr": "rien, aucun, aucune, non, sans commentaire, ras, r.a.s., rien à signaler, rien à dire, "
    "pas de commentaire, aucun commentaire, néant, sans objet, je ne sais pas",
    "es": "nada, ninguno, ninguna, no, sin comentarios, sin comentario, ningún comentario, "
    "nada que añadir, nada que decir, nada más, no sé, no lo sé",
    "th": "ไม่มี, ไม่มีครับ, ไม่มีค่ะ, ไม่มีคะ, ไม่มีความคิดเห็น, ไม่มีอะไร, ไม่ทราบ",
}
_EMPTY_KEY_MAX_CHARS = 40  # longer answers are never a bare "no comment"


def _answer_key(text: str) -> str:
    """Casefolded words with punctuation and symbols removed ("K.A." -> "ka"); keeps Thai marks."""
    kept = [
        ch if unicodedata.category(ch)[0] in "LNM" else " "
        for ch in unicodedata.normalize("NFC", text.casefold())
        if unicodedata.category(ch)[0] != "P" or ch in "-/"
    ]
    return " ".join("".join(kept).split())


_NON_ANSWERS = frozenset(
    _answer_key(phrase) for phrases in _NON_ANSWERS_RAW.values() for phrase in phrases.split(", ")
) - {""}
WORD_CHAR = re.compile(r"[^\W_]")


def is_empty_like(text: str) -> bool:
    """True for answers that say nothing: blank, NA, only punctuation, or "n/a", "keine", "brak".

    Emoji count as an answer ("👍"); "no" alone is empty-like, "No delivery" is not.

    >>> [is_empty_like(t) for t in ["", " - ", "N/A", "Keine Angabe.", "No delivery", "👍"]]
    [True, True, True, True, False, False]
    """
    if text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text)):
        return True
    text = str(text)
    if not WORD_CHAR.search(text):
        # only punctuation, symbols and spaces, unless there is an emoji or other pictograph
        return not any(unicodedata.category(ch) == "So" for ch in text)
    if len(text) > _EMPTY_KEY_MAX_CHARS:
        return False
    return _answer_key(text) in _NON_ANSWERS
