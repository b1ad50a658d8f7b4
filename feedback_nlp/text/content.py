"""Comments with no specific content: bare sentiment, insults, fillers ("ok", "terrible",
"you are crap", "STOP", "no comment") — answers no theme could be found in, because there is none.

A comment is *nonspecific* when nothing is left of it after removing the words listed here for
its language (stop words, words that only say how good or bad something was, insults,
non-answers, a verdict on the business as a whole: "I will not recommend this hotel", "Nie
polecam tego pensjonatu", and the words of a reply in a thread: "I did, nothing happened");
everything else is *specific*, even one word ("delivery", "Lieferung"). The lists are short on
purpose: a word missing from them only makes a comment count as specific, which is what it was
before this rule. Thai is written without spaces: a Thai comment is nonspecific when it can be
cut entirely into listed words.

Addresses say nothing either: handles ("@united thanks"), links, e-mail addresses and PII
placeholders are dropped first. Nor do the export's own brand words: :func:`brand_words` finds,
once per input file, the tokens in a large share of its comments that are no word of the
language (simplemma's lemma dictionaries) nor of a shipped taxonomy's keywords: the company or
product name ("Comcast", "#Zorblax"). With them go generic complaint words that name no topic
("complaint against", "issues", "Beschwerde", "reklamacja"): "Complaint against Comcast" and
"Comcast issues" are nonspecific, "Comcast billing" is not.

>>> [is_nonspecific(t, "en") for t in ["Terrible!!", "you are crap", "Terrible service", "👍"]]
[True, True, False, True]
>>> is_nonspecific("Complaint against Zorblax", "en", brands=frozenset({"zorblax"}))
True
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from feedback_nlp.schema import SUPPORTED_LANGUAGES, UNDETERMINED
from feedback_nlp.settings import BRAND_MIN_COMMENTS, BRAND_MIN_SHARE
from feedback_nlp.text.lemmas import fold_diacritics, is_known_word
from feedback_nlp.text.pii import PLACEHOLDER_RE

__all__ = ["brand_words", "is_nonspecific"]

# Per language: function words, sentiment-only words (and their intensifiers), insults and
# non-answers. A word that can name what a customer talks about ("service", "price", "staff",
# "app", "wait"; "welcoming", "friendly": the staff; "time": "on time") is never listed. Every
# listed word also counts as typed without its diacritics ("bylo swietnie", "tres decu"):
# `_words` adds those spellings, as the keyword matcher reads them (lemmas.fold_diacritics).
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
        fuck fucking f damn bloody as usual always never ever again of to for with
        ive dont cant wont didnt doesnt isnt wasnt youre theyre thats whats
        stop unsubscribe n/a na nothing none no comment comments nil same whatever meh so-so
        average alright decent mediocre lol much wow omg ugh yikes haha hi hello hey please pls
        plz fav favorite favourite
        lovely beautiful beautifully breathtaking gorgeous stunning fabulous terrific
        marvellous marvelous delightful pleasant unpleasant enjoyable memorable unforgettable
        exceptional impressive impressed unimpressed delighted thrilled incredible
        incredibly magnificent splendid spectacular phenomenal wonderfully nicest greatest
        finest loveliest upset angry furious livid annoyed pissed sad unhappy frustrated
        frustrating disappointment disappointments disgrace disgraceful shame shameful
        horrendous atrocious abysmal lousy nasty gross horrid mistake nightmare disaster
        enjoyed enjoy enjoying loving loves adore adored hates special fun pleasure surprise
        extremely truly totally completely utterly thoroughly super cool pretty lot lots alot
        unfortunately whatsoever absolute thumbs hell dislike dislikes surprising surprisingly
        heaven heavenly joy happily
    """,
    "de": """
        der die das ein eine es ist war sind waren sein ich mir mich wir uns ihr sie du alles
        sehr so zu ganz echt wirklich total einfach immer nie nicht kein keine ja nein ok okay
        gut super toll prima klasse top perfekt ausgezeichnet hervorragend spitze bestens
        zufrieden danke vielen dank weiter so alles gut schlecht mies miserabel schrecklich
        furchtbar katastrophal katastrophe enttäuschend enttäuscht unmöglich unverschämt
        frechheit lächerlich scheiße scheisse mist müll idioten und oder aber stopp stop nichts
        mittelmäßig naja geht passt
        schön schöne schöner schönes wunderschön traumhaft fantastisch phantastisch herrlich
        wunderbar genial grandios tadellos angenehm unvergesslich enttäuschung ärgerlich
        schade nur
    """,
    "pl": """
        to jest był była było są ja my wy oni wszystko bardzo tak nie ok okej dobrze dobry
        dobra dobre super świetnie świetny świetna idealnie rewelacja rewelacyjnie polecam
        zadowolony zadowolona dziękuję dzięki źle zły zła złe słabo słaby słaba fatalnie
        fatalny fatalna tragedia tragicznie tragiczny beznadziejnie beznadziejny porażka
        żenada masakra okropnie okropny dno gówno i a ale lub stop nic brak jak zawsze
        może być średnio
        wspaniały wspaniała wspaniałe cudownie cudowny cudowna cudowne pięknie piękny piękna
        piękne fantastycznie
        fantastyczny fantastyczna fantastyczne niesamowicie niesamowity niesamowita
        rewelacyjny rewelacyjna rewelacyjne znakomicie znakomity znakomita doskonale
        doskonały doskonała udany udana udane udanych kiepsko kiepski kiepska kiepskie
        koszmar katastrofa skandal wstyd szok zgroza rozczarowanie rozczarowany rozczarowana
        zawiedziony zawiedziona niezadowolony niezadowolona zadowoleni zadowolone szkoda
        niestety zupełnie całkowicie gorąco serdecznie stanowczo generalnie ogólnie
        dziękujemy dziękuje dziekuję świetne czego chcieć można narzekać cudo przyjemny
        przyjemna przyjemne przyjemnie okropność totalne totalnie totalny żenujące żenujący
        wręcz za porządku jeszcze raz po prostu byłem byłam byliśmy jestem jesteśmy ma nawet
        co kiedyś
    """,
    "fr": """
        le la les un une c c'est est était je j'ai nous vous ils elle tout très trop vraiment
        toujours jamais ne pas non oui ok bien bon bonne super top parfait parfaite excellent
        génial formidable satisfait satisfaite merci bravo continuez ainsi mal mauvais mauvaise
        nul nulle horrible catastrophique décevant déçu déçue lamentable honteux honte arnaque
        merde et ou mais stop rien moyen bof
        magnifique splendide superbe fantastique incroyable merveilleux merveilleuse magique
        inoubliable agréable sublime exceptionnel exceptionnelle extraordinaire excellente
        géniale beau belle bel décevante déception dommage catastrophe
    """,
    "es": """
        el la los las un una es era fue soy yo nosotros ustedes todo muy tan siempre nunca no
        sí si ok vale bien bueno buena genial perfecto perfecta excelente estupendo increíble
        satisfecho satisfecha gracias malo mala mal pésimo pésima horrible terrible fatal
        decepcionante decepcionado vergüenza basura mierda y o pero stop nada regular
        buen buenos buenas gran mejor peor excelentes fantástico fantastico fantástica
        maravilloso maravillosa hermoso hermosa espectacular increible magnífico magnifico
        estupenda inolvidable encantador encantadora encanto decepción desastre super
        realmente
    """,
    "th": """
        ดี ดีมาก ดีมากๆ ดีค่ะ ดีครับ โอเค ok ชอบ ชอบมาก สุดยอด เยี่ยม ประทับใจ พอใจ ขอบคุณ ขอบคุณค่ะ
        ขอบคุณครับ แย่ แย่มาก ห่วย แย่ที่สุด ผิดหวัง ไม่ดี เลว ครับ ค่ะ คะ จ้า นะ มาก มากๆ ที่สุด
        ไม่มี เฉยๆ ธรรมดา
    """,
}
# A verdict on the business as a whole names no topic either: the business itself ("this hotel",
# "the company", "pensjonat"), the customer's whole experience, stay, holiday or trip
# ("Awesome resort and vacation", "Ogólnie wakacje udane"), and whether they would
# recommend it, come back or fly with it again ("I will NOT recommend this hotel to anyone",
# "Nie polecam tego pensjonatu", "I will not be flying you again"). Words that can be a topic of
# a visit ("room", "flight", "staff", "service", "price") are never listed; inflected forms are
# listed because tokens are not lemmatised.
_VERDICT_RAW = {
    "en": """
        hotel hotels place company business firm airline airlines establishment property
        experience experiences stay visit recommend recommended recommending recommendation
        would will wouldn't won't don't didn't doesn't can't couldn't isn't wasn't shall
        should go going went come coming back return returning fly flying flew again anyone
        anybody nobody everyone everybody anymore definitely absolutely highly one who
        holiday holidays vacation vacations trip trips getaway resort resorts guesthouse
        motel motels hostel inn times weekend stays visits avoid bother recomend recomended
        reccomend probably certainly surely strongly others star stars
    """,
    "de": """
        hotel firma unternehmen anbieter laden erfahrung aufenthalt empfehlen empfehle
        empfehlenswert weiterempfehlen weiterzuempfehlen nie wieder nimmer jedem niemandem
        nochmal gerne kann können werde werden würde würden auf jeden fall absolut dieses
        diesen diese dieser dem den
        urlaub ferien reise empfehlung sehenswert
    """,
    "pl": """
        hotel hotelu hotelem hotelowi obiekt obiektu obiektem pensjonat pensjonatu pensjonacie
        ośrodek ośrodka ośrodku miejsce miejsca firma firmy firmie firmę pobyt pobytu
        polecić polecamy polecają odradzam odradzamy nikomu nikt nigdy więcej wrócę wrócimy
        wrócić tego tej ten ta tę tym tutaj tu tam zdecydowanie absolutnie
        kompletnie szczerze naprawdę też się go
        wakacje wakacji wakacjach urlop urlopu wyjazd wyjazdu pobytem pobycie weekend
        doświadczenie polecenia godne godny godna wszystkim każdemu
        pewno napewno trafiony polecę przyjedziemy przyjadę
    """,
    "fr": """
        hôtel hotel endroit établissement entreprise société expérience séjour recommande
        recommander recommanderai recommandé déconseille revenir reviendrai reviendrons
        personne encore plus je ne n'y y ce cet cette
        vacances voyage moment incontournable visite retournerons retournerai
        recommandée conseille éviter a à dans l'ensemble
    """,
    "es": """
        hotel lugar sitio empresa compañía experiencia estancia recomiendo recomendar
        recomendable recomendado volver volveré volveremos nadie nunca más lo este esta
        vacaciones viaje opción se les recomendada vayáis vayais
    """,
}
# The words a reply in a thread is made of name no topic either: "@united I did, and as I
# thought, nothing happened", "@JetBlue yep it's for tomorrow", "will do, thanks". Auxiliaries,
# pronouns, question words, time adverbs and verbs of saying, thinking and happening; never a
# verb that is a topic of service ("wait", "call", "tell", "answer", "help", "cancel").
_REPLY_RAW = {
    "en": """
        do does did doing have has had having get got gets getting make made say said says
        think thought guess hope hoping know knew knows see saw seen mean meant sure maybe
        perhaps still yet already now today tomorrow tonight yesterday soon here there what
        why how when where which whom whose if then than because since while anything
        something someone somebody happen happens happened happening let lets let's want
        wanted need needed can could may might must u ur r gonna wanna gotta oh ah um hmm
        btw fyi idk tbh imo lmao smh wtf ty tyvm np kk yup via rt amp some any more most other
        another such only also even out up down in on at by from into over after before off
        these those us him i'll i've we're we've they'll you'll he's she's there's how's
        what's where's who's that's it'll ok'd sorry
        understand understood appreciate appreciated finally both though anyway anyways
        whenever remember
        needless i'd we'd you'd they'd we'll he'll she'll
    """,
}
# Words that say a comment is a complaint, or about something, without saying what: the titles
# of complaint forms ("Complaint against X", "X issues", "Problem mit X"). "issue"/"problem" name
# no topic alone ("billing issue" keeps its topic word); "service", "account", "bill" are topics
# and are not here. Function words the titles need ("with", "de", "na") come along.
_GENERIC_RAW = {
    "en": "complaint complaints complain complaining against regarding about re concerning "
    "issue issues problem problems with",
    "de": "beschwerde beschwerden reklamation gegen über bezüglich betreff betr problem "
    "probleme mit",
    "pl": "skarga skargi reklamacja reklamacji przeciwko na w sprawie dot dotyczy problem "
    "problemy problemu z",
    "fr": "plainte plaintes réclamation réclamations contre concernant problème problèmes "
    "avec de du des",
    "es": "queja quejas reclamación reclamo reclamos contra sobre respecto problema problemas "
    "con de del",
    "th": "ร้องเรียน ปัญหา",
}
_TOKEN = re.compile(r"[^\W\d_](?:[\w'’/-]*[^\W_])?")
_THAI_RUN = re.compile("[\u0e01-\u0e4e]+")
# who a post is addressed to, links and e-mail addresses say nothing about its topic ("@united
# thanks!"); e-mail addresses first, or their domain would be read as a handle
_ADDRESS = re.compile(r"(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|@\w+|https?://\S+|www\.\S+)")
_PARTS = re.compile(r"[/-]")  # "Comcast/Xfinity", "Zorblax-Kundenservice"
_MASK = re.compile(r"(\w)\1+")  # "XXXX": a data set's redaction mark, not a name
_NAME = re.compile(r"[^\W\d_]+")  # a brand candidate: letters only ("xx/xx/2018" is a date)
# the shipped taxonomies' keyword lines ("  en: [appointment, no show, ...]"), read as text:
# a keyword is a topic even where no dictionary knows it ("appt", "wlan")
_KEYWORD_LINE = re.compile(r"^\s+[a-z]{2}:\s*\[(.*)\]\s*$", re.MULTILINE)
_TAXONOMIES = Path(__file__).resolve().parents[1] / "themes" / "taxonomies"
_MAX_WORDS = 12  # a longer answer says something, whatever its words


@lru_cache(maxsize=len(SUPPORTED_LANGUAGES) + 1)
def _words(lang: str) -> frozenset[str]:
    """The listed words of `lang` (casefolded, and as typed without their diacritics); of every
    language for an undetermined one."""
    langs = [lang] if lang in _WORDS_RAW else list(_WORDS_RAW)
    return frozenset(
        spelling
        for code in langs
        for raw in (_WORDS_RAW, _VERDICT_RAW, _REPLY_RAW, _GENERIC_RAW)
        for w in raw.get(code, "").split()
        for spelling in (w.casefold(), *fold_diacritics(w.casefold(), code))
    )


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


def _strip(text: str) -> str:
    return _ADDRESS.sub(" ", PLACEHOLDER_RE.sub(" ", text))


def _tokens(text: str) -> list[str]:
    return [t.casefold().replace("’", "'") for t in _TOKEN.findall(text)]


@lru_cache(maxsize=1)
def _taxonomy_words() -> frozenset[str]:
    """Every word of the shipped taxonomies' keywords (casefolded)."""
    words: set[str] = set()
    for path in sorted(_TAXONOMIES.glob("*.yaml")):
        for line in _KEYWORD_LINE.findall(path.read_text(encoding="utf-8")):
            for token in _tokens(line):
                words.add(token)
                words.update(p for p in _PARTS.split(token) if p)
    return frozenset(words)


def _known(token: str, langs: set[str]) -> bool:
    """Whether `token` is a word of one of `langs` or of English (loanwords: "wifi", "app")."""
    # a language simplemma has no dictionary for ("th") says None: not known
    return any(is_known_word(token, code) for code in sorted(langs | {"en"}))


def brand_words(
    texts: Sequence[str | None],
    langs: Sequence[str | None],
    files: Sequence[object] | None = None,
) -> list[frozenset[str]]:
    """The brand words of each text's file (`files`: a file per text; None: all one file).

    A token is a brand word of a file when it is in at least :data:`BRAND_MIN_SHARE` of the
    file's texts and at least :data:`BRAND_MIN_COMMENTS` of them, and is none of: a listed word
    of this module, a word of the file's languages' (or English) lemma dictionary, a word of a
    shipped taxonomy's keywords, a mask ("XXXX"), a word written in lower case in most of its
    comments (a name is written as one: "Comcast", "CFPB"). A topic word the customers keep naming
    ("internet") is a word of the language, so it is never taken for a brand; a file of fewer
    comments than BRAND_MIN_COMMENTS has none.
    """
    groups: dict[object, list[int]] = defaultdict(list)
    for i in range(len(texts)):
        groups[files[i] if files is not None else None].append(i)
    listed = _words("")
    found: list[frozenset[str]] = [frozenset()] * len(texts)
    for members in groups.values():
        need = max(BRAND_MIN_COMMENTS, math.ceil(BRAND_MIN_SHARE * len(members)))
        if len(members) < need:
            continue
        counts: Counter[str] = Counter()
        capitalised: Counter[str] = Counter()
        for i in members:
            text = texts[i]
            if isinstance(text, str):
                seen: dict[str, bool] = {}
                for word in _NAME.findall(_strip(text)):  # "S-Bahn": "S", "Bahn"
                    key = word.casefold()
                    seen[key] = seen.get(key, False) or any(c.isupper() for c in word)
                counts.update(seen)
                capitalised.update(k for k, upper in seen.items() if upper)
        # a name is written as one ("Comcast", "CFPB", "JetBlue") in most comments that have it;
        # "ive", "pls" and typos are not. Scripts without case (Thai) have no candidates: their
        # words are no proof of a name, and Thai is not cut into words here
        candidates = [
            t
            for t, c in counts.items()
            if c >= need
            and 2 * capitalised[t] >= c
            and len(t) > 1
            and t not in listed
            and not _MASK.fullmatch(t)
        ]
        if not candidates:
            continue
        file_langs = {str(langs[i]) for i in members if langs[i] and langs[i] != UNDETERMINED}
        vocabulary = _taxonomy_words()
        brands = frozenset(
            t for t in candidates if t not in vocabulary and not _known(t, file_langs)
        )
        for i in members:
            found[i] = brands
    return found


def _is_word(token: str, words: frozenset[str], brands: frozenset[str]) -> bool:
    if token in words or token in brands:
        return True
    parts = [p for p in _PARTS.split(token) if p]
    return len(parts) > 1 and all(p in words or p in brands for p in parts)


def is_nonspecific(text: str, lang: str | None, brands: frozenset[str] = frozenset()) -> bool:
    """True when `text` has no content word for `lang` (``und``/None: any language's lists);
    `brands`: the brand words of its file (:func:`brand_words`), no content either.

    >>> is_nonspecific("Sehr gut, danke!", "de"), is_nonspecific("Lieferung zu spät", "de")
    (True, False)
    """
    if not isinstance(text, str):
        return False
    words = _words(lang or "")
    text = _strip(text)
    thai = _THAI_RUN.findall(text)
    if thai:
        th_words = _words("th")
        if not all(_thai_covered(run, th_words) for run in thai):
            return False
        text = _THAI_RUN.sub(" ", text)
    tokens = _tokens(text)
    if not tokens and not thai:
        return True  # "10/10", "👍", "!!!": a rating or a gesture, no topic
    if len(tokens) > _MAX_WORDS:
        return False
    return all(_is_word(t, words, brands) for t in tokens)
