"""Comments with no specific content: bare sentiment, insults, fillers ("ok", "terrible",
"you are crap", "STOP", "no comment") — answers no theme could be found in, because there is none.

A comment is *nonspecific* when nothing is left of it after removing the words listed here for
its language (stop words, words that only say how good or bad something was, insults, and
non-answers); everything else is *specific*, even one word ("delivery", "Lieferung"). The lists
are short on purpose: a word missing from them only makes a comment count as specific, which is
what it was before this rule. Thai is written without spaces: a Thai comment is nonspecific when
it can be cut entirely into listed words.

>>> [is_nonspecific(t, "en") for t in ["Terrible!!", "you are crap", "Terrible service", "👍"]]
[True, True, False, True]
"""

from __future__ import annotations

import re
from functools import lru_cache

from feedback_nlp.schema import SUPPORTED_LANGUAGES

__all__ = ["is_nonspecific"]

# Per language: function words, sentiment-only words (and their intensifiers), insults and
# non-answers. A word that can name what a customer talks about ("service", "price", "staff",
# "app", "wait") is never listed.
_WORDS_RAW = {
    "en": """
        a an the this that it its it's is was were be been are am i i'm im me my we our you
        your you're they them he she his her so very really too quite just all everything
        overall and or but not no nope yes yeah yep ok okay k fine good great nice excellent
        perfect amazing awesome fantastic brilliant superb wonderful outstanding best better
        love loved like liked happy satisfied pleased thanks thank thx cheers well done keep up
        bad poor terrible horrible awful worst worse disappointing disappointed disgusting
        pathetic useless rubbish garbage crap crappy shit shitty sucks suck sucked hate hated
        dreadful appalling shocking unacceptable ridiculous joke idiots idiot morons stupid
        pathetic fuck fucking f damn bloody as usual always never ever again of to for with
        stop unsubscribe n/a na nothing none no comment comments nil same whatever meh so-so
        average alright decent mediocre lol
    """,
    "de": """
        der die das ein eine es ist war sind waren sein ich mir mich wir uns ihr sie du alles
        sehr so zu ganz echt wirklich total einfach immer nie nicht kein keine ja nein ok okay
        gut super toll prima klasse top perfekt ausgezeichnet hervorragend spitze bestens
        zufrieden danke vielen dank weiter so alles gut schlecht mies miserabel schrecklich
        furchtbar katastrophal katastrophe enttäuschend enttäuscht unmöglich unverschämt
        frechheit lächerlich scheiße scheisse mist müll idioten und oder aber stopp stop nichts
        mittelmäßig naja geht passt
    """,
    "pl": """
        to jest był była było są ja my wy oni wszystko bardzo tak nie ok okej dobrze dobry
        dobra dobre super świetnie świetny świetna idealnie rewelacja rewelacyjnie polecam
        zadowolony zadowolona dziękuję dzięki źle zły zła złe słabo słaby słaba fatalnie
        fatalny fatalna tragedia tragicznie tragiczny beznadziejnie beznadziejny porażka
        żenada masakra okropnie okropny dno gówno i a ale lub stop nic brak jak zawsze
        może być średnio
    """,
    "fr": """
        le la les un une c c'est est était je j'ai nous vous ils elle tout très trop vraiment
        toujours jamais ne pas non oui ok bien bon bonne super top parfait parfaite excellent
        génial formidable satisfait satisfaite merci bravo continuez ainsi mal mauvais mauvaise
        nul nulle horrible catastrophique décevant déçu déçue lamentable honteux honte arnaque
        merde et ou mais stop rien moyen bof
    """,
    "es": """
        el la los las un una es era fue soy yo nosotros ustedes todo muy tan siempre nunca no
        sí si ok vale bien bueno buena genial perfecto perfecta excelente estupendo increíble
        satisfecho satisfecha gracias malo mala mal pésimo pésima horrible terrible fatal
        decepcionante decepcionado vergüenza basura mierda y o pero stop nada regular
    """,
    "th": """
        ดี ดีมาก ดีมากๆ ดีค่ะ ดีครับ โอเค ok ชอบ ชอบมาก สุดยอด เยี่ยม ประทับใจ พอใจ ขอบคุณ ขอบคุณค่ะ
        ขอบคุณครับ แย่ แย่มาก ห่วย แย่ที่สุด ผิดหวัง ไม่ดี เลว ครับ ค่ะ คะ จ้า นะ มาก มากๆ ที่สุด
        ไม่มี เฉยๆ ธรรมดา
    """,
}
_TOKEN = re.compile(r"[^\W\d_](?:[\w'’/-]*[^\W_])?")
_THAI_RUN = re.compile("[\u0e01-\u0e4e]+")
# who a post is addressed to and links say nothing about its topic ("@united thanks!")
_ADDRESS = re.compile(r"(?:@\w+|https?://\S+|www\.\S+)")
_MAX_WORDS = 12  # a longer answer says something, whatever its words


@lru_cache(maxsize=len(SUPPORTED_LANGUAGES) + 1)
def _words(lang: str) -> frozenset[str]:
    """The listed words of `lang` (casefolded); of every language for an undetermined one."""
    langs = [lang] if lang in _WORDS_RAW else list(_WORDS_RAW)
    return frozenset(w.casefold() for code in langs for w in _WORDS_RAW[code].split())


def _thai_covered(run: str, words: frozenset[str]) -> bool:
    """Whether a run of Thai script is a sequence of listed words (longest words first)."""
    longest = max((len(w) for w in words), default=0)
    reachable = [True] + [False] * len(run)
    for end in range(1, len(run) + 1):
        reachable[end] = any(
            reachable[start] and run[start:end] in words
            for start in range(max(0, end - longest), end)
        )
    return reachable[-1]


def is_nonspecific(text: str, lang: str | None) -> bool:
    """True when `text` has no content word for `lang` (``und``/None: any language's lists).

    >>> is_nonspecific("Sehr gut, danke!", "de"), is_nonspecific("Lieferung zu spät", "de")
    (True, False)
    """
    if not isinstance(text, str):
        return False
    words = _words(lang or "")
    text = _ADDRESS.sub(" ", text)
    thai = _THAI_RUN.findall(text)
    if thai:
        th_words = _words("th")
        if not all(_thai_covered(run, th_words) for run in thai):
            return False
        text = _THAI_RUN.sub(" ", text)
    tokens = [t.casefold().replace("’", "'") for t in _TOKEN.findall(text)]
    if not tokens and not thai:
        return True  # "10/10", "👍", "!!!": a rating or a gesture, no topic
    if len(tokens) > _MAX_WORDS:
        return False
    return all(t in words for t in tokens)
