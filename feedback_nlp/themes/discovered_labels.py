"""Names for discovered themes: a short phrase taken from the cluster's own clauses.

An analyst names a cluster of complaints by what its comments keep saying ("router activation",
"lack of communication", "Lieferung verspätet"), not by a list of distinctive words. Per
cluster and language the candidates are the noun chunks of the clauses (where a trained
pipeline has a parser: English, French) and the n-grams of 1-3 tokens whose first and last
words are content words (no stop word, handle, link or number at either end), keyed by their
lemmas so that inflections count together. A candidate scores by how many of the cluster's
comments say it, each weighted by how central its clause is (cosine to the centroid), times
how distinctive it is among all clusters (IDF), with a bonus for 2-3 word phrases said by at
least two comments, for noun chunks and for phrases containing a noun. Phrases made only of
sentiment words ("poor", "terrible") or generic ones ("complaint", "issue") are never
candidates: they say how, not what. Thai has no parser, but pythainlp's bundled part-of-speech
tagger tells its nouns; a lone Thai word that is a verb or a function word ("ส่ง", send; "ของ",
of) is no candidate either: a verb alone names no topic.

A phrase is shown as it is written most often, so the label is always text of the clauses.
Its place is kept as a pointer (clause, first token, end token), which is all the result cache
stores (never words).
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
from collections import Counter, defaultdict

from feedback_nlp.text.lemmas import NOUNS_CAPITALISED, is_known_word
from feedback_nlp.text.pipelines import TRAINED_PIPELINES, get_pipeline, transient_strings

KEY_PHRASES = 3  # key phrases kept per language of a discovered theme
MAX_TOKENS = 3  # n-gram length; trimmed noun chunks may have one more
MIN_SHARED = 2  # comments that must say a multi-word phrase for it to get the phrase bonus
MIN_CLUSTERS_COMMON = 3  # clusters needed before a word can be found common to all of them
COMMON_SHARE = 0.4  # ... said by this share of all their comments, in this share of clusters
_PHRASE_BONUS = {1: 1.0, 2: 1.6, 3: 1.7, 4: 1.5}
_NOUN_BONUS = 1.5
_CHUNK_BONUS = 1.2
_SENTIMENT_PENALTY = 0.8
# Parts of speech (Universal Dependencies) that never name a theme as a one-word label.
LONE_WORD_REFUSED = frozenset(
    "VERB AUX ADP ADV PART SCONJ CCONJ PRON DET NUM PUNCT INTJ SYM".split()  # noqa: SIM905
)
_THAI_MARKS = "ๆฯ"
_ELONGATED = re.compile(r"(.)\1{2,}")  # "แย่มากกกกก", "sooooo": a word drawn out for emphasis
_NOISE = re.compile(r"^(@|https?:|www\.|rt$|/|#)|\d", re.IGNORECASE)
# Words that say how a customer feels, not what about: a phrase of these alone names nothing.
SENTIMENT_WORDS = frozenset(
    """
    bad poor terrible horrible awful worst worse disgusting pathetic ridiculous useless
    unacceptable disappointing disappointed appalling atrocious shocking dreadful rubbish crap
    shit shitty sucks suck lousy horrendous abysmal incompetent annoying annoyed frustrating
    frustrated angry upset unhappy sad great good excellent nice best amazing awesome love hate
    fine ok okay happy thank thanks please really very still never ever always again schlecht
    schlimm furchtbar schrecklich katastrophal enttäuschend enttäuscht ärgerlich super toll gut
    leider mies unmöglich nie immer wieder mauvais nul décevant déçu lamentable honteux
    inadmissible bien bon malo mala pésimo fatal decepcionado vergonzoso bueno zły źle słaby
    fatalny tragiczny okropny beznadziejny dobry dobrze
    แย่ แย่มาก ห่วย ห่วยมาก แย่ที่สุด ผิดหวัง ไม่ดี เลว ดี ดีมาก ชอบ ชอบมาก ประทับใจ พอใจ มาก มากๆ
    โคตร สุดๆ ที่สุด จริงๆ เกินไป
    """.split()  # noqa: SIM905
)

# Words every complaint may use of itself: "Complaint" or "Issues" alone names no theme.
GENERIC_WORDS = frozenset(
    "complaint issue problem customer company experience thing stuff lot way".split()  # noqa: SIM905
)


def token_offsets(text: str, tokens) -> list[tuple[int, int]] | None:
    """(start, end) of each token in the clause text, found in order; None if one is missing."""
    out, at = [], 0
    for token in tokens:
        k = text.find(token, at)
        if k < 0:
            return None
        out.append((k, k + len(token)))
        at = k + len(token)
    return out


def _plain(token: str) -> str:
    """The word without emphasis: lower case, drawn-out letters once, no Thai repeat marks."""
    return _ELONGATED.sub(r"\1", token.lower().strip(_THAI_MARKS))


def _is_word(token: str) -> bool:
    # Thai "ๆ" (repeat the word before) is a letter to Python, and the tokenizer splits a
    # drawn-out "มากกกกก" into "มา", "กก", "กก": one letter repeated names nothing
    plain = _plain(token)
    return len(set(plain)) > 1 and any(ch.isalpha() for ch in plain) and not _NOISE.match(token)


def _is_name(token: str, lang: str) -> bool:
    """A capitalised word its language's dictionary does not know: a company or product name
    ("Comcast", "Xfinity"), which a blind audit found as the whole label of discovered themes
    (on a small export the names are not yet ubiquitous enough for :func:`_ubiquitous`). Not in
    German, where every noun is capitalised and compounds are often missing from the dictionary,
    nor where there is no dictionary (Thai)."""
    if lang in NOUNS_CAPITALISED or not token[:1].isupper():
        return False
    return is_known_word(token.lower(), lang) is False


def _stop_words(lang: str) -> set[str]:
    return get_pipeline(lang).Defaults.stop_words


@functools.lru_cache(maxsize=4)
def _parser(lang: str):
    """The trained pipeline with its parser (noun chunks, parts of speech), or None."""
    import spacy

    for package in TRAINED_PIPELINES.get(lang, ()):
        if importlib.util.find_spec(package) is not None:
            nlp = spacy.load(package, exclude=["ner"])
            return nlp if "parser" in nlp.pipe_names else None
    return None


def _parse(texts: list[str], lang: str) -> list[tuple[list[tuple[int, int]], set[int]]] | None:
    """Per text: the (start, end) characters of its noun chunks and the starts of its nouns."""
    nlp = _parser(lang)
    if nlp is None:
        return None
    out = []
    with transient_strings(nlp):
        for doc in nlp.pipe(texts):
            chunks = [(c.start_char, c.end_char) for c in doc.noun_chunks]
            nouns = {t.idx for t in doc if t.pos_ in ("NOUN", "PROPN")}
            out.append((chunks, nouns))
    return out


def _thai_tags(tokens_list: list[list[str]]) -> list[tuple[set[int], set[int]]] | None:
    """Per clause: the token positions tagged noun, and those that cannot stand alone as a label
    (LONE_WORD_REFUSED), by pythainlp's perceptron tagger (ORCHID, mapped to UD tags; its model
    ships inside the package, nothing is downloaded). None without pythainlp."""
    if importlib.util.find_spec("pythainlp") is None:
        return None
    from pythainlp.tag import pos_tag

    out = []
    for tokens in tokens_list:
        tags = [tag for _, tag in pos_tag(list(tokens), engine="perceptron", corpus="orchid_ud")]
        out.append(
            (
                {k for k, tag in enumerate(tags) if tag in ("NOUN", "PROPN")},
                {k for k, tag in enumerate(tags) if tag in LONE_WORD_REFUSED},
            )
        )
    return out


def shown(text: str, tokens, offsets, k0: int, k1: int, lowered: set[str]) -> str:
    """How the phrase tokens[k0:k1] shows: as written, but "Router" at the start of a clause as
    "router" where the cluster writes that word in lower case elsewhere (not "Comcast") and the
    phrase is not in title case."""
    phrase = text[offsets[k0][0] : offsets[k1 - 1][1]]
    first = tokens[k0]
    title_case = any(t[:1].isupper() for t in tokens[k0 + 1 : k1])  # "Unfair Pricing" stays
    if (
        k0 == 0
        and first[:1].isupper()
        and first[1:].islower()
        and first.lower() in lowered
        and not title_case
    ):
        phrase = phrase[:1].lower() + phrase[1:]
    return phrase


def lowered_words(tokens) -> set[str]:
    """The words a cluster's clauses (their token lists) write in lower case somewhere."""
    return {t for toks in tokens for t in toks if t.islower()}


def as_label(phrase: str) -> str:
    """The label of a theme: its phrase in sentence case ("Router activation"); a first word
    written with other capitals ("iPhone", "DHL") stays as it is."""
    first = phrase.split(" ", 1)[0]
    return phrase[:1].upper() + phrase[1:] if first.islower() else phrase


def _candidates(
    tokens, lemmas, lang, stop, parsed, offsets, tagged=None
) -> dict[tuple, tuple[int, int, float]]:
    """lemma key -> (k0, k1, bonus) of each candidate phrase in one clause (first place kept).
    ``tagged`` (Thai): the token positions of its nouns and of words that are no label alone."""
    content = [
        _is_word(t) and t.lower() not in stop and (lem or "").lower() not in stop
        for t, lem in zip(tokens, lemmas)
    ]
    wordy = [any(ch.isalnum() for ch in t) for t in tokens]
    chunk_spans: set[tuple[int, int]] = set()
    nouns: set[int] | None = None
    if parsed is not None:
        chunks, noun_starts = parsed
        start_of = {a: k for k, (a, _) in enumerate(offsets)}
        end_of = {b: k + 1 for k, (_, b) in enumerate(offsets)}
        nouns = {start_of[a] for a in noun_starts if a in start_of}
        for a, b in chunks:
            if a in start_of and b in end_of:
                k0, k1 = start_of[a], end_of[b]
                while k0 < k1 and not content[k0]:  # determiners, possessives, stop words
                    k0 += 1
                while k1 > k0 and not content[k1 - 1]:
                    k1 -= 1
                if 0 < k1 - k0 <= MAX_TOKENS + 1:
                    chunk_spans.add((k0, k1))
    elif lang == "de":  # German nouns are capitalised wherever they stand
        nouns = {k for k, t in enumerate(tokens) if k > 0 and t[:1].isupper()}
    refused: set[int] = set()
    if tagged is not None:
        nouns, refused = tagged
    spans = set(chunk_spans)
    for k0 in range(len(tokens)):
        if not content[k0]:
            continue
        for k1 in range(k0 + 1, min(len(tokens), k0 + MAX_TOKENS) + 1):
            if not wordy[k1 - 1]:
                break
            if content[k1 - 1]:
                spans.add((k0, k1))
    out: dict[tuple, tuple[int, int, float]] = {}
    for k0, k1 in sorted(spans):
        words = [(lemmas[k] or tokens[k]).lower() for k in range(k0, k1)]
        meaning = [w for k, w in zip(range(k0, k1), words) if content[k]]
        vague = SENTIMENT_WORDS | GENERIC_WORDS
        if all(w in vague or _plain(tokens[k]) in vague
               for k, w in zip(range(k0, k1), words) if content[k]):  # fmt: skip
            continue
        if k1 - k0 == 1 and k0 in refused:  # a verb or function word alone names no topic
            continue
        if all(_is_name(tokens[k], lang) for k in range(k0, k1) if content[k]):
            continue  # "Comcast": the company the clauses complain about is not their topic
        bonus = _CHUNK_BONUS if (k0, k1) in chunk_spans else 1.0
        if nouns is not None and any(k in nouns for k in range(k0, k1)):
            bonus *= _NOUN_BONUS
        if any(w in SENTIMENT_WORDS for w in meaning):
            bonus *= _SENTIMENT_PENALTY
        key = (lang, tuple(words))
        if key not in out or bonus > out[key][2]:
            out[key] = (k0, k1, bonus)
    return out


def phrase_pointers(
    texts: list[str],
    tokens: list[list[str]],
    lemmas: list[list[str]],
    langs: list[str],
    comments: list[int],
    centrality: list[float],
    clusters: dict[int, list[int]],
    main_lang: dict[int, str],
) -> dict[int, list[list[int]]]:
    """Per cluster: [[j, k0, k1], ...], its label phrase first, then its key phrases (up to
    KEY_PHRASES per language, the main language first), or [] where no phrase names it; ``j`` is the position of the clause in
    the cluster's list of rows, ``k0:k1`` its tokens. The inputs are per row (all rows of all
    clusters); ``clusters`` maps each cluster to its rows."""
    rows = sorted({i for m in clusters.values() for i in m})
    offsets = {i: token_offsets(texts[i], tokens[i]) for i in rows}
    parsed: dict[int, tuple | None] = dict.fromkeys(rows)
    by_lang: dict[str, list[int]] = defaultdict(list)
    for i in rows:
        if offsets[i] is not None:
            by_lang[langs[i]].append(i)
    for lang, members in by_lang.items():
        found = _parse([texts[i] for i in members], lang)
        if found is not None:
            parsed.update(zip(members, found))
    tagged: dict[int, tuple[set[int], set[int]]] = {}
    thai = [i for i in by_lang.get("th", []) if parsed[i] is None]
    thai_tags = _thai_tags([tokens[i] for i in thai]) if thai else None
    if thai_tags is not None:
        tagged.update(zip(thai, thai_tags))
    common = _ubiquitous(tokens, langs, comments, clusters)
    cands = {
        i: _candidates(
            tokens[i],
            lemmas[i],
            langs[i],
            _stop_words(langs[i]) | common,
            parsed[i],
            offsets[i],
            tagged.get(i),
        )
        if offsets[i] is not None
        else {}
        for i in rows
    }
    # document frequency over every cluster's comments, for distinctiveness
    df: Counter = Counter()
    n_docs = 0
    for m in clusters.values():
        per_comment: dict[int, set] = defaultdict(set)
        for i in m:
            per_comment[comments[i]].update(cands[i])
        n_docs += len(per_comment)
        for keys in per_comment.values():
            df.update(keys)

    out: dict[int, list[list[int]]] = {}
    for c, m in clusters.items():
        weight: dict[tuple, dict[int, float]] = defaultdict(dict)  # key -> comment -> best w
        bonus: dict[tuple, float] = {}
        places: dict[tuple, list[tuple[int, int, int]]] = defaultdict(list)
        for j, i in enumerate(m):
            for key, (k0, k1, b) in cands[i].items():
                seen = weight[key].get(comments[i], 0.0)
                weight[key][comments[i]] = max(seen, max(centrality[i], 0.0) + 1e-6)
                bonus[key] = max(bonus.get(key, 0.0), b)
                places[key].append((j, k0, k1))

        score = {}
        for key, said in weight.items():
            n = len(key[1])
            length = _PHRASE_BONUS[min(n, 4)] if n == 1 or len(said) >= MIN_SHARED else 0.5
            idf = math.log(1 + n_docs / df[key])
            score[key] = sum(said.values()) * idf * length * bonus[key]
        lowered = lowered_words(tokens[i] for i in m)
        # a phrase must be said by MIN_SHARED of the cluster's comments (all, if fewer): in a
        # cluster of "very bad" clauses, the one comment that names its battery names no topic
        shared = min(MIN_SHARED, len({comments[i] for i in m}))
        ranked: dict[str, list[tuple]] = defaultdict(list)
        for key in sorted(weight, key=lambda k: (-score[k], k)):
            ranked[key[0]].append(key)
        langs_c = sorted(ranked, key=lambda g: (g != main_lang[c], -len(ranked[g]), g))
        picked: list[list[int]] = []
        for lang in langs_c:
            kept: list[tuple] = []
            for key in ranked[lang]:
                if len(weight[key]) < shared:  # one comment's word names no cluster
                    continue
                words = set(key[1])
                # a phrase inside (or around) one already kept says nothing new
                if any(words <= set(k[1]) or set(k[1]) <= words for k in kept):
                    continue
                kept.append(key)
                picked.append(_most_written(places[key], m, texts, tokens, offsets, lowered))
                if len(kept) == KEY_PHRASES:
                    break
        # a cluster that says nothing but sentiment or generic words ("terrible", "very bad")
        # names no topic: an empty list, and discovery drops it
        out[c] = [picked[0], *picked] if picked else []
    return out


def _ubiquitous(tokens, langs, comments, clusters: dict[int, list[int]]) -> set[str]:
    """Words (lower case) that most comments of most clusters say: the company's name in its
    own complaints ("Comcast"), the product everyone writes about. They name no one theme, so
    phrases neither start nor end with them. Needs MIN_CLUSTERS_COMMON clusters to tell."""
    if len(clusters) < MIN_CLUSTERS_COMMON:
        return set()
    said: dict[str, set] = defaultdict(set)  # word -> comments
    where: dict[str, set] = defaultdict(set)  # word -> clusters
    every: set = set()
    for c, m in clusters.items():
        for i in m:
            every.add(comments[i])
            for t in tokens[i]:
                said[t.lower()].add(comments[i])
                where[t.lower()].add(c)
    return {
        w
        for w, who in said.items()
        if len(who) >= COMMON_SHARE * len(every) and len(where[w]) >= COMMON_SHARE * len(clusters)
    }


def _most_written(places, members, texts, tokens, offsets, lowered) -> list[int]:
    """The place of the phrase's most frequent written form (see :func:`shown`)."""
    forms: Counter = Counter()
    first: dict[str, tuple[int, int, int]] = {}
    for j, k0, k1 in places:
        i = members[j]
        form = shown(texts[i], tokens[i], offsets[i], k0, k1, lowered)
        forms[form] += 1
        first.setdefault(form, (j, k0, k1))
    best = min(forms, key=lambda f: (-forms[f], f))
    return list(first[best])


def read_pointer(pointer, members, texts, tokens, langs, lowered) -> tuple[str, str] | None:
    """(lang, phrase) that a pointer names, or None where it does not fit the clauses."""
    if not (isinstance(pointer, list) and len(pointer) == 3):
        return None
    j, k0, k1 = pointer
    if not all(type(x) is int for x in pointer) or not 0 <= j < len(members):
        return None
    i = members[j]
    if not 0 <= k0 < k1 <= len(tokens[i]):
        return None
    offsets = token_offsets(texts[i], tokens[i])
    if offsets is None:
        return None
    return langs[i], shown(texts[i], tokens[i], offsets, k0, k1, lowered)


def format_key_phrases(phrases: list[tuple[str, str]]) -> str:
    """ "en: router activation; activation fee | de: Router-Aktivierung" (languages in order)."""
    by_lang: dict[str, list[str]] = {}
    for lang, phrase in phrases:
        by_lang.setdefault(lang, []).append(phrase)
    return " | ".join(f"{lang}: {'; '.join(ps)}" for lang, ps in by_lang.items())


def parse_key_phrases(text: object) -> dict[str, list[str]]:
    """The inverse of :func:`format_key_phrases` (empty for None or blank)."""
    out: dict[str, list[str]] = {}
    if not isinstance(text, str):
        return out
    for part in text.split(" | "):
        lang, sep, rest = part.partition(": ")
        if sep and lang.strip():
            out[lang.strip()] = [p.strip() for p in rest.split("; ") if p.strip()]
    return out
