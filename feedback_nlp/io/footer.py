"""Footer lines under a table: totals, averages, counts and export notes a tool or an analyst
writes below the data ("Total responses: 532", "Exported on: 2024-10-01", "Gesamt;;412").

They are not records, so they are skipped like the title rows above a header (header.py) and
reported in the file's report. A row is a footer line only by its shape: at the end of the file,
its first filled cell a label made only of summary words (total, average, exported, Gesamt,
Razem, Moyenne, Promedio ...) followed by a value (after ":" or in the next cells), the other
cells empty or numbers. "Total disaster: 2 hours on hold" is a comment: "disaster" is no
summary word. A lone date under such lines (the export date) is one too.
"""

from __future__ import annotations

import re
from typing import Any

from feedback_nlp.io.names import normalize_name
from feedback_nlp.io.values import NUMBER, cell_text, reads_as_value

MAX_FOOTER_ROWS = 10
# fmt: off
# A footer label holds at least one of these (folded; a German compound may start with one)...
_SUMMARY = {
    "total", "totals", "sum", "average", "avg", "mean", "count", "number", "exported", "export",
    "generated", "filter", "filters", "filtered",
    "gesamt", "summe", "durchschnitt", "mittelwert", "anzahl", "exportiert", "erstellt",
    "razem", "suma", "srednia", "średnia", "liczba", "wygenerowano", "eksport", "wyeksportowano",
    "łącznie", "lacznie", "ogółem", "moyenne", "nombre", "exporte", "genere", "filtre",
    "filtres", "promedio", "media", "numero", "exportado", "generado", "filtro", "filtros",
    "รวม", "เฉลี่ย", "จำนวน", "ส่งออก",
}
# Labels that may take words as their value ("Exported by: J. Doe", "Filters: Country = DE");
# the others need a number or a date ("Total: 532"), so "Total: never again" stays a comment.
_WORDY = {
    "exported", "export", "generated", "filter", "filters", "filtered", "exportiert", "erstellt",
    "wygenerowano", "eksport", "wyeksportowano", "exporte", "genere", "filtre", "filtres",
    "exportado", "generado", "filtro", "filtros", "ส่งออก",
}
# ...and otherwise only these.
_ALSO = {
    "of", "the", "by", "on", "at", "in", "date", "time", "responses", "response", "reviews",
    "review", "comments", "comment", "rows", "records", "score", "nps", "rating", "ratings",
    "csat", "ces", "applied", "period", "range", "from", "to", "de", "des", "du", "la", "le",
    "der", "die", "am", "von", "antworten", "bewertungen", "bewertung", "kommentare", "zeitraum",
    "datum", "odpowiedzi", "opinii", "ocen", "ocena", "komentarzy", "data", "przez", "reponses",
    "avis", "commentaires", "note", "par", "respuestas", "resenas", "comentarios",
    "puntuacion", "fecha", "por", "el", "all", "survey", "ankieta", "umfrage", "enquete",
    "encuesta", "user", "users", "entries", "items",
}
# fmt: on
_LABELLED = re.compile(r"^\s*([^:=]{1,60}?)\s*[:=]\s*(.{0,80})$", re.DOTALL)
_TRAILING_VALUE = re.compile(r"^\s*(\D{1,60}?)\s+([\d.,%/:\s-]+)$")


def _summary_label(label: str) -> str | None:
    """None, or "wordy" / "numeric": which values the summary label takes."""
    tokens = normalize_name(label).split()
    if not 1 <= len(tokens) <= 5:
        return None
    strong = [t for t in tokens if t in _SUMMARY or any(t.startswith(w) for w in _LONG)]
    if not strong or not all(t in _ALSO or t in strong or t.isdigit() for t in tokens):
        return None
    return "wordy" if any(t in _WORDY for t in tokens) else "numeric"


_LONG = {w for w in _SUMMARY if len(w) >= 6}  # "Gesamtzahl", "Durchschnittsnote"


def _is_value(text: str) -> bool:
    return bool(NUMBER.match(text.replace("%", ""))) or reads_as_value(text)


def footer_line(row: list[Any]) -> bool:
    """One row shaped like a summary line: a summary label and its value."""
    filled = [cell_text(v) for v in row if cell_text(v)]
    if not filled:
        return False
    m = _LABELLED.match(filled[0]) or _TRAILING_VALUE.match(filled[0])
    label = m.group(1) if m else filled[0]
    values = ([m.group(2).strip()] if m and m.group(2).strip() else []) + filled[1:]
    kind = _summary_label(label)
    if kind is None or not values:
        return False
    if all(_is_value(c) for c in values):
        return True  # "Total responses: 532"; a totals row: "Total", "", 532, 4.2
    return kind == "wordy" and len(values) <= 2 and all(len(c) <= 80 for c in values)


def footer_rows(records: list[list[Any]]) -> int:
    """How many rows at the end of a table are footer lines (see the module's docstring);
    0 unless at least one of them has a summary label, and never the whole table."""
    count = labelled = 0
    limit = min(MAX_FOOTER_ROWS, len(records) - 1)
    while count < limit:
        row = records[len(records) - 1 - count]
        filled = [cell_text(v) for v in row if cell_text(v)]
        if footer_line(row):
            labelled += 1
        elif not (len(filled) == 1 and reads_as_value(filled[0]) and not NUMBER.match(filled[0])):
            break  # a lone date (the export date) may sit among footer lines; anything else ends
        count += 1
    if not labelled:
        return 0
    # a lone date above the first labelled line belongs to the table, not the footer
    while count and not footer_line(records[len(records) - count]):
        count -= 1
    return count
