"""Language identification: lingua for the supported languages, Thai script directly, and
user-supplied language values ("German", "de-DE", "DEU") read as ISO 639-1 codes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from feedback_nlp.schema import SUPPORTED_LANGUAGES, UNDETERMINED
from feedback_nlp.text.empty import WORD_CHAR
from feedback_nlp.text.pii import PLACEHOLDER_RE

__all__ = ["detect_languages"]

_MIN_LETTERS = 3  # "ok", "👍", "10/10" say nothing about their language
_MIN_CONFIDENCE = 0.5  # below: lingua is guessing between languages ("super", "merci", "top")
_MAX_DETECT_CHARS = 1000  # the opening of a long comment identifies it as well as the whole
_THAI = re.compile("[\u0e01-\u0e4e]")
_LANGUAGE_NAMES = {
    "en": "english englisch angielski anglais inglés ingles อังกฤษ ภาษาอังกฤษ eng",
    "de": "german deutsch niemiecki allemand alemán aleman เยอรมัน ภาษาเยอรมัน deu ger",
    "pl": "polish polnisch polski polonais polaco โปแลนด์ ภาษาโปแลนด์ pol",
    "th": "thai thailändisch tajski thaï tailandés tailandes ไทย ภาษาไทย tha",
    "fr": "french französisch francuski français francais francés frances ฝรั่งเศส fra fre",
    "es": "spanish spanisch hiszpański espagnol español espanol castellano สเปน spa",
}
_LANGUAGE_ALIASES = {
    name: code for code, names in _LANGUAGE_NAMES.items() for name in names.split()
}


@lru_cache(maxsize=1)
def _detector():
    """The lingua detector for the supported languages; built once, models load lazily."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [IsoCode639_1.from_str(code) for code in SUPPORTED_LANGUAGES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


def release_language_models() -> None:
    """Unload lingua's language models (~150 MB for the six languages); the next language
    identification loads them again. A long run calls this once cleaning is done."""
    if _detector.cache_info().currsize:
        _detector().unload_language_models()
        _detector.cache_clear()


def language_code(value: object) -> str | None:
    """ISO 639-1 code for a user-supplied language value ("German", "de-DE", "DEU"), or None."""
    if not isinstance(value, str):
        return None
    key = value.strip().casefold().replace("_", "-")
    if not key or key in (UNDETERMINED, "unknown", "other", "-"):
        return None
    if key in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[key]
    from lingua import IsoCode639_1, IsoCode639_3, Language

    primary = key.split("-")[0]
    try:
        if len(primary) == 2:
            return IsoCode639_1.from_str(primary).name.lower()
        if len(primary) == 3:
            return Language.from_iso_code_639_3(
                IsoCode639_3.from_str(primary)
            ).iso_code_639_1.name.lower()
        return Language.from_str(key).iso_code_639_1.name.lower()
    except ValueError:
        return None


def detect_languages(texts: Sequence[str]) -> list[str]:
    """ISO 639-1 code per text among the supported languages, or ``und`` when it can't be told.

    Thai script is recognised directly; the rest go to lingua in one parallel batch, each
    distinct text once.

    >>> detect_languages(["Die Lieferung kam zu spät.", "ส่งของช้ามาก", "ok", "👍"])
    ['de', 'th', 'und', 'und']
    """
    result = [UNDETERMINED] * len(texts)
    pending: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            continue
        text = PLACEHOLDER_RE.sub(" ", text)[:_MAX_DETECT_CHARS]
        n_letters = len(WORD_CHAR.findall(text)) - sum(ch.isdigit() for ch in text)
        n_thai = len(_THAI.findall(text))
        if n_thai >= 2 and 4 * n_thai >= n_letters:  # Thai with English brand names
            result[i] = "th"
        elif n_letters >= _MIN_LETTERS:
            pending.setdefault(text, []).append(i)
    if pending:
        batch = list(pending)
        values = _detector().compute_language_confidence_values_in_parallel(batch)
        for text, confidences in zip(batch, values):
            best = confidences[0] if confidences else None
            if best is not None and best.value >= _MIN_CONFIDENCE:
                code = best.language.iso_code_639_1.name.lower()
                for i in pending[text]:
                    result[i] = code
    return result
