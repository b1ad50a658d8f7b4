"""Language identification: lingua for the supported languages, Thai script directly, and
user-supplied language values ("German", "de-DE", "DEU") read as ISO 639-1 codes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from feedback_nlp.schema import SUPPORTED_LANGUAGES, UNDETERMINED
from feedback_nlp.text.empty import WORD_CHAR
from feedback_nlp.text.pii import PLACEHOLDER_RE

__all__ = ["Languages", "detect_languages", "identify_languages"]

_MIN_LETTERS = 3  # "ok", "👍", "10/10" say nothing about their language
_MIN_CONFIDENCE = 0.5  # below: lingua is guessing between languages ("super", "merci", "top")
_MAX_DETECT_CHARS = 1000  # the opening of a long comment identifies it as well as the whole
# The file prior (identify_languages). Under _SHORT_LETTERS letters lingua's pick among similar
# languages is a coin toss ("Excellent service": fr 0.50, en 0.43).
_SHORT_LETTERS = 20
_SHORT_WEIGHT = 0.25  # a short confident detection's weight in the prior (a long one: 1)
_PRIOR_SMOOTHING = 1.0  # pseudo-count per language: a file of three comments is barely a prior
# a respondent who answered in French once most likely answers in French again
_RESPONDENT_SMOOTHING = 0.1
_MIN_PLAUSIBLE = 0.1  # lingua's confidence the prior's language needs ("Sehr gut": en 0.07)
_MIN_POSTERIOR = 0.5  # share of the posterior the chosen language needs
_MIN_POSTERIOR_TINY = 0.9  # the same under _MIN_LETTERS letters ("ok"): only a clear prior
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
    """Unload lingua's language models (~200 MB for the ten languages); the next language
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
    distinct text once. The texts are read as one file: short and unclear ones are decided with
    the languages of the others (:func:`identify_languages`).

    >>> detect_languages(["Die Lieferung kam zu spät.", "ส่งของช้ามาก", "ok", "👍"])
    ['de', 'th', 'und', 'und']
    """
    return identify_languages(texts).codes


@dataclass(frozen=True)
class Languages:
    """What :func:`identify_languages` found: a code per text, and how many of them the file's
    prior decided (texts lingua alone would have read as another language or as ``und``)."""

    codes: list[str]
    by_prior: int = 0


def _letters(text: str) -> int:
    return len(WORD_CHAR.findall(text)) - sum(ch.isdigit() for ch in text)


def identify_languages(
    texts: Sequence[str],
    *,
    files: Sequence[object] | None = None,
    respondents: Sequence[object] | None = None,
    prior: bool = True,
) -> Languages:
    """Languages of `texts`, short and unclear ones decided with a prior from their file.

    lingua alone is unreliable on a few words: "Late installation" and "Terrible service" read
    as French or `und`, "ok" as Polish. A comment is not written in a vacuum, though: an export
    in one language is in that language throughout. So the confident detections of each file
    (`files`: a file name per text; None: all one file) give the file's language shares; where
    lingua is unsure (under :data:`_SHORT_LETTERS` letters, or its best confidence under
    :data:`_MIN_CONFIDENCE`), the text's language is the one with the highest lingua confidence
    times its share, provided that confidence is plausible (at least :data:`_MIN_PLAUSIBLE`:
    "Sehr gut" stays German in an English file) and the result is clear (:data:`_MIN_POSTERIOR`).
    A respondent's other answers (`respondents`: an id per text, None where unknown) count as
    much as the whole file. A mixed file gives a flat prior, so its comments keep their own
    languages. Thai script still decides Thai; texts without letters stay ``und``. With
    `prior` False every text is read alone (the behaviour before the prior).

    >>> english = ["The engineer never came and nobody called us back.",
    ...            "Our bill went up again without any notice at all.",
    ...            "The internet drops every evening for an hour."]
    >>> identify_languages(english + ["Late installation"]).codes
    ['en', 'en', 'en', 'en']
    >>> identify_languages(english + ["Late installation"], prior=False).codes[-1]
    'und'
    """
    n = len(texts)
    codes = [UNDETERMINED] * n
    letters = [0] * n
    pending: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            continue
        text = PLACEHOLDER_RE.sub(" ", text)[:_MAX_DETECT_CHARS]
        letters[i] = n_letters = _letters(text)
        n_thai = len(_THAI.findall(text))
        if n_thai >= 2 and 4 * n_thai >= n_letters:  # Thai with English brand names
            codes[i] = "th"
        elif n_letters >= (1 if prior else _MIN_LETTERS):
            pending.setdefault(text, []).append(i)
    if not pending:
        return Languages(codes)
    batch = list(pending)
    values = _detector().compute_language_confidence_values_in_parallel(batch)
    confidences: list[dict[str, float] | None] = [None] * n
    for text, found in zip(batch, values):
        conf = {c.language.iso_code_639_1.name.lower(): c.value for c in found}
        best = max(conf, key=conf.__getitem__) if conf else None
        for i in pending[text]:
            confidences[i] = conf
            if best is not None and conf[best] >= _MIN_CONFIDENCE and letters[i] >= _MIN_LETTERS:
                codes[i] = best
    if not prior:
        return Languages(codes)
    return _with_prior(codes, confidences, letters, files, respondents)


def _with_prior(
    alone: list[str],
    confidences: list[dict[str, float] | None],
    letters: list[int],
    files: Sequence[object] | None,
    respondents: Sequence[object] | None,
) -> Languages:
    """Decide the unsure texts with their file's (and respondent's) language shares."""
    n = len(alone)
    files = [None] * n if files is None else list(files)
    respondents = [None] * n if respondents is None else list(respondents)
    # weight of each detection in the prior: a long confident one counts fully, a short
    # confident one a quarter (a file of titles has no long ones), an unsure one not at all
    weights = [
        0.0
        if code == UNDETERMINED
        else 1.0
        if letters[i] >= _SHORT_LETTERS or code == "th"
        else _SHORT_WEIGHT
        for i, code in enumerate(alone)
    ]
    by_file: dict[object, Counter[str]] = {}
    by_respondent: dict[object, Counter[str]] = {}
    for i, code in enumerate(alone):
        if weights[i]:
            by_file.setdefault(_key(files[i]), Counter())[code] += weights[i]
            if _key(respondents[i]) is not None:
                by_respondent.setdefault(_key(respondents[i]), Counter())[code] += weights[i]
    codes = list(alone)
    decided = 0
    for i, conf in enumerate(confidences):
        if conf is None or (letters[i] >= _SHORT_LETTERS and alone[i] != UNDETERMINED):
            continue
        shares = _shares(by_file.get(_key(files[i]), Counter()), alone[i], weights[i])
        own = by_respondent.get(_key(respondents[i]))
        if own is not None:
            theirs = _shares(own, alone[i], weights[i], smoothing=_RESPONDENT_SMOOTHING)
            if theirs is not None:
                shares = {lang: (shares[lang] + theirs[lang]) / 2 for lang in shares}
        posterior = {lang: conf.get(lang, 0.0) * share for lang, share in shares.items()}
        total = sum(posterior.values())
        if not total:
            continue
        lang = max(posterior, key=posterior.__getitem__)
        needed = _MIN_POSTERIOR if letters[i] >= _MIN_LETTERS else _MIN_POSTERIOR_TINY
        if conf.get(lang, 0.0) >= _MIN_PLAUSIBLE and posterior[lang] / total >= needed:
            codes[i] = lang
            decided += lang != alone[i]
    return Languages(codes, decided)


def _key(value: object) -> object:
    """A hashable group key; None for missing values."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _shares(
    counts: Counter[str], own: str, own_weight: float, *, smoothing: float | None = None
) -> dict[str, float] | None:
    """Smoothed language shares of a group's detections, the text's own detection left out;
    with `smoothing` given (a respondent's), None where the group has no other detection."""
    counts = Counter(counts)
    if own_weight:
        counts[own] -= own_weight
    total = sum(max(v, 0.0) for v in counts.values())
    if smoothing is not None and total <= 0:
        return None
    alpha = _PRIOR_SMOOTHING if smoothing is None else smoothing
    k = len(SUPPORTED_LANGUAGES)
    return {
        lang: (max(counts.get(lang, 0.0), 0.0) + alpha) / (total + k * alpha)
        for lang in SUPPORTED_LANGUAGES
    }
