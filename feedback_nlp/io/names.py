"""Column names: the names each role goes by, and how well a column's name fits a role.

Survey tools name the same thing in many ways and many languages ("Why did you give this
score?", "Kommentar", "Review Text"). Names are folded (case, accents, punctuation) before they
are compared with the keywords.
"""

from __future__ import annotations

import re
import unicodedata

from feedback_nlp.schema import COMMENT_ID, CREATED_AT, LANG, SCORE, TEXT, TOUCHPOINT

# Names per role. For roles other than text, earlier names win ties (RecordedDate over StartDate).
# Keyword tables are data: kept compact rather than one name per line.
# fmt: off
KEYWORDS: dict[str, list[str]] = {
    TEXT: [
        "comment", "comments", "feedback", "verbatim", "verbatims", "review", "review text",
        "review content", "review body", "text", "answer", "response", "open ended response",
        "why did you give this score", "why did you give us this score", "why did you give",
        "why did you rate", "tell us why", "main reason", "primary reason", "reason",
        "reason for score", "reason for your score", "message", "content", "remarks", "remark",
        "suggestions", "suggestion", "please explain", "anything else", "free text",
        "customer comment", "customer feedback", "feedback text", "kommentar", "kommentare",
        "anmerkung", "anmerkungen", "bemerkung", "bemerkungen", "rezension", "begründung",
        "freitext", "warum", "dlaczego", "pourquoi", "por qué", "komentarz", "komentarze",
        "opinia", "opinie", "uwagi", "uzasadnienie", "commentaire", "commentaires", "avis",
        "remarque", "remarques", "comentario", "comentarios", "opinión", "opiniones", "reseña",
        "reseñas", "observaciones", "ความคิดเห็น", "ข้อเสนอแนะ", "รีวิว",
    ],
    COMMENT_ID: [
        "response id", "respondent id", "review id", "comment id", "feedback id", "ticket id",
        "record id", "id", "uuid", "review uuid", "antwort id", "identyfikator",
    ],
    SCORE: [
        "nps", "nps score", "score", "rating", "star rating", "stars", "likelihood to recommend",
        "how likely", "recommend", "csat", "satisfaction", "overall satisfaction", "ratings",
        "bewertung", "punktzahl", "punkte", "sterne", "weiterempfehlung", "ocena", "ocena nps",
        "punkty", "gwiazdki", "note", "note globale", "puntuación", "calificación", "valoración",
        "estrellas", "คะแนน", "customer effort score", "customer effort", "ces", "effort",
        "ces score", "easy to", "aufwand", "wysiłek", "esfuerzo", "facilidad", "satisfaction score",
        "satisfaction rating", "zufriedenheit", "zadowolenie", "satisfecho", "satisfacción",
    ],
    CREATED_AT: [
        "recorded date", "end date", "review submit date and time", "created at", "created",
        "creation date", "date", "submitted at", "submitted", "submission date", "submit date",
        "date submitted", "response date", "review date", "timestamp", "datetime", "time",
        "start date", "updated at", "last updated", "datum", "erstellt am", "erstellt", "data",
        "data utworzenia", "date de création", "fecha", "fecha de creación", "วันที่",
    ],
    TOUCHPOINT: [
        "touchpoint", "touch point", "touchpoints", "journey stage", "customer journey stage",
        "journey step", "stage", "channel", "kanal", "kontaktpunkt", "kanał", "etap",
        "punkt styku", "canal", "étape", "point de contact", "etapa", "punto de contacto",
        "ช่องทาง",
    ],
    LANG: [
        "lang", "language", "reviewer language", "review language", "comment language", "locale",
        "sprache", "język", "langue", "idioma", "ภาษา",
    ],
}

# Review titles: analysed with the body they head (title first), kept in a `title` column.
TITLE_NAMES = [
    "title", "review title", "subject", "headline", "summary", "review summary", "review headline",
    "titel", "überschrift", "betreff", "tytuł", "tytuł opinii", "temat", "titre", "objet",
    "título", "asunto", "titular", "หัวข้อ", "ชื่อรีวิว",
]

# Survey-tool metadata whose names look like a role but are not (Qualtrics DistributionChannel
# is "email"/"anonymous", UserLanguage is the survey UI language, not the comment's).
_NOT_CANDIDATES = {
    "distribution channel", "user language", "q language", "collector id", "ip address",
    "email address", "first name", "last name", "recipient email", "recipient first name",
    "recipient last name", "external reference", "external data reference",
}
# fmt: on


def normalize_name(name: str) -> str:
    """Fold a column name to lowercase words without accents or punctuation ("ResponseId" ->
    "response id", "Opinión" -> "opinion") so that names match however a tool spells them."""
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(name))
    name = unicodedata.normalize("NFKD", name)
    name = "".join(c for c in name if not unicodedata.combining(c)).casefold()
    return " ".join(re.split(r"[\W_]+", name)).strip()


_NORMALIZED_KEYWORDS = {role: [normalize_name(k) for k in ks] for role, ks in KEYWORDS.items()}
_TITLE_NAMES = {normalize_name(k) for k in TITLE_NAMES}


def is_title_name(name: str) -> bool:
    """A column named like a review's title ("Review Title", "Betreff", "Tytuł")."""
    return normalize_name(name) in _TITLE_NAMES


def _match(label: str, keyword: str, rank: float) -> float:
    """How well a normalised column label fits a normalised keyword (0 = not at all)."""
    if not label or not keyword:
        return 0.0
    if label == keyword:
        return 100.0 - rank
    ltoks, ktoks = label.split(), keyword.split()
    n = len(ktoks)
    for i in range(len(ltoks) - n + 1):
        if ltoks[i : i + n] == ktoks:
            return 60.0 + 5 * n - min(20, len(ltoks) - n) - rank
    if not keyword.isascii() and " " not in keyword and keyword in label:
        return 60.0 - rank  # scripts without spaces between words (Thai)
    if n == 1 and len(keyword) >= 6 and any(t.endswith(keyword) for t in ltoks):
        return 55.0 - rank  # German compounds: "Kundenkommentar", "Gesamtbewertung"
    return 0.0


def role_score(role: str, labels: list[str]) -> float:
    """Best fit of any of a column's labels (name, question text) to a role's keywords."""
    best = 0.0
    for label in labels:
        norm = normalize_name(label)
        if norm in _NOT_CANDIDATES:
            continue
        for i, keyword in enumerate(_NORMALIZED_KEYWORDS[role]):
            best = max(best, _match(norm, keyword, 0.0 if role == TEXT else 0.1 * i))
    return best
