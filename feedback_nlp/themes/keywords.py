"""Keyword theme matching: the taxonomy's keywords of the clause's language, lemmatised by the
same spaCy pipeline as the clause, found with spaCy ``PhraseMatcher`` on lemmas and on lower-cased
words; German/Dutch/Scandinavian compounds match their head ("Zugverspätungen" -> "Verspätung"),
Thai keywords match inside the unsegmented text. A longer keyword of another theme that covers a
shorter one wins ("price changed" over "price"). A keyword written "-pünktlich zum" is an
exception: where it matches, the theme's own keywords inside it do not count ("pünktlich zum
Termin" = just in time for, not punctuality).
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from feedback_nlp import schema as s
from feedback_nlp.text.clauses import token_lemma
from feedback_nlp.text.lemmas import (
    NOUNS_CAPITALISED,
    dictionary_forms,
    dictionary_lemma,
    fold_diacritics,
    is_known_word,
    simplemma_supports,
)
from feedback_nlp.text.pipelines import get_pipeline, normalize_lang
from feedback_nlp.themes.taxonomy import ANY_LANGUAGE, Taxonomy

# Languages that write compounds as one word with the head last.
COMPOUNDING = ("de", "nl", "sv", "da", "nb", "no", "is", "lb")
_COMPOUND_ENDINGS = ("", "e", "n", "en", "s", "es", "er", "ern", "ns")
_UNSEGMENTED = ("th", "zh", "ja", "lo", "km", "my")
# German writes nouns with a capital (NOUNS_CAPITALISED): only a noun keyword heads a compound
# ("Zugverspätung"), a lower-case one found as a word's tail is another word ("teurer" in
# "Abenteuer", "Stromsteuer").
# Verb prefixes that are words on their own in the dictionary but never a compound's front:
# "Zerstörung" (destruction) is not a "Störung" (disruption).
_PREFIXES = {"de": ("zer", "ver", "ent", "emp", "miss"), "nl": ("ver", "ont", "her")}
EXCEPTION = "-"  # "-pünktlich zum": where it matches, the theme's keywords inside do not count
_SPACES = re.compile(r"\s+")
_MAX_VARIANTS = 16
# Words written without their diacritics ("lazience", "habitacion") are read as the keyword
# word they lost them from; not in English (nothing to lose) nor where words are not spaced.
_NO_FOLDING = ("en", s.UNDETERMINED, *_UNSEGMENTED)
_MIN_FOLDED = 3  # "sa" (są), "ze" (że): too short to tell


@dataclass(frozen=True)
class KeywordHit:
    theme: int  # index into Taxonomy.themes
    keyword: str
    start: int  # token offsets in the clause
    end: int


class _LanguageIndex:
    """The keywords that apply to one language, as spaCy phrase patterns. (Its hits are kept in
    the result cache: bump `pipelines.CLAUSE_FORMAT` when what it matches changes.)"""

    def __init__(self, taxonomy: Taxonomy, lang: str) -> None:
        themes = taxonomy.themes
        self.nlp: Language = get_pipeline(lang)
        self.lang = lang
        entries: list[tuple[int, str, bool]] = []  # (theme index, keyword, match lemmas?)
        for i, theme in enumerate(themes):
            if lang == s.UNDETERMINED:
                # language unknown: every language's keywords, on the words as written
                for words in theme.keywords.values():
                    entries.extend((i, w, False) for w in words)
            else:
                entries.extend((i, w, True) for w in theme.keywords.get(lang, ()))
                entries.extend((i, w, False) for w in theme.keywords.get(ANY_LANGUAGE, ()))
        # exceptions are matched like keywords, then cancel the theme's hits they cover
        self.exceptions = {
            k for k, (_, w, _) in enumerate(entries) if w.startswith(EXCEPTION) and len(w) > 1
        }
        self.entries = entries
        self.unsegmented = lang in _UNSEGMENTED
        self.lemma_matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self.lower_matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.heads: dict[str, list[str]] = {}
        self.substrings: list[tuple[str, str]] = []
        keyword_words: set[tuple[str, str]] = set()  # (word, lemma) of the lemma-matched keywords
        written: set[str] = set()  # every keyword word as written
        # "delivery + fast": every part within the clause, in any order
        parts = [
            (k, p, part.strip())
            for k, (_, word, _) in enumerate(entries)
            for p, part in enumerate(word.removeprefix(EXCEPTION).split(" + "))
        ]
        self.n_parts = Counter(k for k, _, part in parts if part)
        docs = self.nlp.pipe(part for _, _, part in parts)
        for (k, p, part), doc in zip(parts, docs):
            use_lemma = entries[k][2]
            tokens = [t for t in doc if not t.is_space]
            if not tokens:
                continue
            key = f"{k}.{p}"
            words = [t.lower_ for t in tokens]
            written.update(words)
            self.lower_matcher.add(key, [Doc(self.nlp.vocab, words=words)])
            if use_lemma:
                lemmas = [token_lemma(t) for t in tokens]
                # A keyword lemmatised alone can differ from the same word in a sentence
                # (pl "opóźnienie" -> "opóźnić" alone, but "opóźnieniem" -> "opóźnienie"), so
                # each keyword word may match as its lemma or as written.
                options = [sorted({lm, w}) for lm, w in zip(lemmas, words)]
                variants = list(itertools.islice(itertools.product(*options), _MAX_VARIANTS))
                keyword_words.update(zip(words, lemmas))
                self.lemma_matcher.add(
                    key, [Doc(self.nlp.vocab, words=words, lemmas=list(v)) for v in variants]
                )
                if (
                    lang in COMPOUNDING
                    and len(lemmas) == 1
                    and len(lemmas[0]) >= 4
                    and lemmas[0].isalpha()
                    and (lang not in NOUNS_CAPITALISED or part[:1].isupper())
                ):
                    self.heads.setdefault(lemmas[0], []).append(key)
            if self.unsegmented:
                self.substrings.append((_SPACES.sub("", part.lower()), key))
        self.restore = (
            {}
            if lang in _NO_FOLDING or not keyword_words
            else _restorations(keyword_words, written, lang)
        )

    def find(self, tokens: Sequence[str], lemmas: Sequence[str], text: str) -> list[KeywordHit]:
        words = [t if t else " " for t in tokens]
        if not words:
            return []
        if self.restore:
            words, lemmas = _restore(words, lemmas, self.restore)
        doc = Doc(
            self.nlp.vocab, words=[w.lower() for w in words], lemmas=[lm or " " for lm in lemmas]
        )
        found: dict[str, set[tuple[int, int]]] = {}  # "k.p" -> token spans
        for matcher in (self.lemma_matcher, self.lower_matcher):
            for match_id, start, end in matcher(doc):
                found.setdefault(self.nlp.vocab.strings[match_id], set()).add((start, end))
        if self.heads:
            for i, lemma in enumerate(lemmas):
                for key in self._compound_heads(lemma):
                    found.setdefault(key, set()).add((i, i + 1))
        if self.substrings:
            compact = _SPACES.sub("", text.lower())
            for needle, key in self.substrings:
                if needle and needle in compact:
                    found.setdefault(key, set()).add(
                        (0, len(words))
                    )  # no offsets inside Thai words
        by_keyword: dict[int, dict[int, set[tuple[int, int]]]] = {}
        for key, spans in found.items():
            k, p = (int(x) for x in key.split("."))
            by_keyword.setdefault(k, {})[p] = spans
        hits, exceptions = [], []
        # in the taxonomy's order, then (below) by place: the hit reported for a theme is its
        # earliest and longest ("étiquette de retour" over "retour"), and of two keywords on the
        # same words the first listed ("retour" before "retours") -- never the order the matchers
        # returned them in, which follows their pattern ids' hashes and moved with every edit
        for k, got in sorted(by_keyword.items()):
            theme, word, _ = self.entries[k]
            out = exceptions if k in self.exceptions else hits
            if self.n_parts[k] == 1:
                out.extend(KeywordHit(theme, word, a, b) for a, b in got[0])
            elif len(got) == self.n_parts[k]:
                # an exception's parts cancel what lies between any of them, a keyword's
                # span is its parts' first places
                spans = (
                    [x for v in got.values() for x in v]
                    if out is exceptions
                    else [min(v) for v in got.values()]
                )
                out.append(
                    KeywordHit(theme, word, min(a for a, _ in spans), max(b for _, b in spans))
                )
        if exceptions:
            hits = [
                h
                for h in hits
                if not any(
                    e.theme == h.theme and e.start <= h.start and h.end <= e.end for e in exceptions
                )
            ]
        hits.sort(key=lambda h: (h.start, h.start - h.end))  # stable: ties keep the list order
        return _drop_covered(hits)

    def _compound_heads(self, lemma: str) -> list[str]:
        if len(lemma) < 7 or not lemma.isalpha():
            return []
        out: list[str] = []
        for ending in _COMPOUND_ENDINGS:
            stem = lemma[: len(lemma) - len(ending)] if ending else lemma
            if ending and not lemma.endswith(ending):
                continue
            for cut in range(3, len(stem) - 3):
                heads = self.heads.get(stem[cut:])
                if heads and _is_modifier(stem[:cut], self.lang):
                    out.extend(heads)
        return out


def _restorations(
    keyword_words: set[tuple[str, str]], written: set[str], lang: str
) -> dict[str, tuple[str, str]]:
    """{word written without diacritics: (the word with them, its lemma)} for the keyword words
    and lemmas and, from the lemmatiser's dictionary, every form of them: "obsluga" ->
    ("obsługa", "obsługa"), "lazience" -> ("łazience", "łazienka"). A folded word that is a word
    of the language itself (pl "kat" is not "kąt", es "papa" not "papá", fr "sale" not "salé")
    is left as it is, unless the dictionary reads it as that accented lemma (es "dia"); so is
    one that could be either of two lemmas or that a keyword lists as written ("reczniki")."""
    pairs = keyword_words | {(lm, lm) for _, lm in keyword_words}
    wanted = {x for pair in keyword_words for x in pair if x.isalpha()}
    pairs.update(dictionary_forms(wanted, lang))
    found: dict[str, set[tuple[str, str]]] = {}
    for word, lemma in pairs:
        for folded in fold_diacritics(word, lang):
            if folded != word and len(folded) >= _MIN_FOLDED and folded not in written:
                found.setdefault(folded, set()).add((word, lemma))
    out = {}
    for folded, options in found.items():
        lemmas = {lemma for _, lemma in options}
        if len(lemmas) != 1:
            continue
        known = is_known_word(folded, lang)
        if known is False or (known and _spelt_without(folded, lemmas, lang)):
            out[folded] = min(options)
    return out


def _spelt_without(word: str, lemmas: set[str], lang: str) -> bool:
    """Whether the dictionary reads `word` as one of `lemmas` written with its diacritics:
    es "dia" -> "día", fr "coeur" -> "cœur", "hotel" -> "hôtel" are one word written two ways.
    Not where the lemma has none: es "sales" (you leave) -> "salar" (to salt) is the dictionary's
    guess, and "salés" would be read as "salado" (salty)."""
    lemma = dictionary_lemma(word, lang)
    return lemma in lemmas and fold_diacritics(lemma, lang)[0] != lemma


def _restore(
    words: Sequence[str], lemmas: Sequence[str], restore: dict[str, tuple[str, str]]
) -> tuple[Sequence[str], Sequence[str]]:
    found = [restore.get(word.lower()) for word in words]
    if not any(found):  # most clauses: nothing to restore, nothing copied
        return words, lemmas
    return (
        [f[0] if f else w for f, w in zip(found, words)],
        [f[1] if f else lm for f, lm in zip(found, lemmas)],
    )


_LINKS = ("", "n", "en", "e")  # what a modifier may have lost or gained: "Liefer|zeit" = liefern


def _is_modifier(part: str, lang: str) -> bool:
    """Whether `part`, the front of a compound, is a word (with or without its linking "s" /
    "n"): "Zug|verspätung" and "Bahnhofs|halle" are compounds, "verg|essen" and "angem|essen"
    are not ("vergessen" = to forget, "angemessen" = appropriate -- once read as food). A
    language simplemma has no dictionary for keeps every cut, as before."""
    if part in _PREFIXES.get(lang, ()):
        return False
    if not simplemma_supports(lang):
        return True
    stems = {part, part[:-1] if part.endswith(("s", "n")) else part}
    return any(is_known_word(stem + link, lang) for stem in stems for link in _LINKS)


def _drop_covered(hits: list[KeywordHit]) -> list[KeywordHit]:
    """Drop a hit when a longer hit of another theme covers its tokens."""
    kept = []
    for h in hits:
        covered = any(
            o.theme != h.theme
            and o.start <= h.start
            and h.end <= o.end
            and (o.end - o.start) > (h.end - h.start)
            for o in hits
        )
        if not covered:
            kept.append(h)
    return kept


class KeywordMatcher:
    """Keyword matching of one taxonomy; per-language indexes are built on first use."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._indexes: dict[str, _LanguageIndex] = {}
        self._lock = threading.Lock()

    def index(self, lang: str) -> _LanguageIndex:
        code = normalize_lang(lang)
        with self._lock:
            if code not in self._indexes:
                self._indexes[code] = _LanguageIndex(self.taxonomy, code)
            return self._indexes[code]

    def find(
        self, tokens: Sequence[str], lemmas: Sequence[str], text: str, lang: str
    ) -> list[KeywordHit]:
        return self.index(lang).find(tokens, lemmas, text)
