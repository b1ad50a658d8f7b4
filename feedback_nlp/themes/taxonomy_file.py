"""Taxonomy files (DESIGN.md contract 3): read, validate with located messages, load.

The file format: ``name``, ``version``, ``description``, an optional ``matching:`` block (the
thresholds calibrated for the taxonomy, docs/themes.md) and ``touchpoints`` -> ``themes``, each
theme with a label, a description, keywords per language, example phrases and an optional
``general: true`` (the touchpoint's catch-all theme). Problems are
collected, each with its path in the file and its line, instead of stopping at the first one.

>>> tax = load_taxonomy("ecommerce-cx")
>>> tax.theme("delivery", "late_delivery").label
'Late or slow delivery'
>>> check_taxonomy("my-taxonomy.yaml")        # doctest: +SKIP
['touchpoints.delivery.themes.late_delivery.keywords.de: expected a list of strings, found a number (line 14)']
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from feedback_nlp.errors import TaxonomyError
from feedback_nlp.settings import EXAMPLE_TAXONOMY, TAXONOMY_AUTO
from feedback_nlp.themes.taxonomy import (
    ANY_LANGUAGE,
    MatchSettings,
    Taxonomy,
    Theme,
    Touchpoint,
)

_ID = re.compile(r"^\w[\w\-]*$")
_LANG = re.compile(r"^[a-z]{2,3}$")
_MAX_PROBLEMS_IN_ERROR = 20
_SETTING_TYPES = {f.name: (int if f.type in ("int", int) else float) for f in fields(MatchSettings)}


# --------------------------------------------------------------------------------------------
# reading YAML with positions


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str, node: yaml.Node | None = None) -> None:
        where = f" (line {node.start_mark.line + 1})" if node is not None else ""
        self.items.append(f"{path or '(top level)'}: {message}{where}")


def _kind(node: yaml.Node, value: Any = None) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Reader:
    """Walks the composed YAML node tree, so every problem can name its path and line."""

    def __init__(self, problems: _Problems) -> None:
        self.problems = problems
        self._loader = yaml.SafeLoader("")

    def scalar(self, node: yaml.Node) -> Any:
        return self._loader.construct_object(node, deep=True)

    def mapping(self, node: yaml.Node | None, path: str, allowed: tuple[str, ...] | None):
        """(key, key_node, value_node) triples of a mapping; reports non-mappings, duplicate and
        unknown keys. Keys are taken as written (`no:` stays the string 'no')."""
        if not isinstance(node, yaml.MappingNode):
            value = self.scalar(node) if isinstance(node, yaml.ScalarNode) else None
            self.problems.add(
                path, f"expected a mapping (key: value lines), found {_kind(node, value)}", node
            )
            return []
        seen: dict[str, yaml.Node] = {}
        out = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.add(path, "keys must be plain names", key_node)
                continue
            key = str(key_node.value)
            if key in seen:
                self.problems.add(
                    _join(path, key),
                    f"duplicate key (first at line {seen[key].start_mark.line + 1}); YAML would "
                    "silently keep only the last one",
                    key_node,
                )
                continue
            seen[key] = key_node
            if allowed is not None and key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = (
                    f" (did you mean '{close[0]}'?)"
                    if close
                    else f"; allowed: {', '.join(allowed)}"
                )
                self.problems.add(_join(path, key), f"unknown key{hint}", key_node)
                continue
            out.append((key, key_node, value_node))
        return out

    def text(self, node: yaml.Node, path: str, *, required: bool = False) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.problems.add(path, f"expected a string, found {_kind(node)}", node)
            return None
        value = self.scalar(node)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problems.add(path, "must not be empty", node)
            return None
        if not isinstance(value, str):
            # a label such as `2024` or `yes` is text the user meant; keep it as written
            return str(node.value)
        return value.strip()

    def texts(self, node: yaml.Node, path: str) -> tuple[str, ...]:
        """A list of non-empty strings; plain scalars such as `no` or `24h` are kept as written."""
        if not isinstance(node, yaml.SequenceNode):
            value = self.scalar(node) if isinstance(node, yaml.ScalarNode) else None
            found = _kind(node, value)
            hint = " (write it as [..] or as '- ...' lines)" if found == "a string" else ""
            self.problems.add(path, f"expected a list of strings, found {found}{hint}", node)
            return ()
        out = []
        for i, item in enumerate(node.value):
            where = f"{path}[{i}]"
            if not isinstance(item, yaml.ScalarNode):
                self.problems.add(where, f"expected a string, found {_kind(item)}", item)
                continue
            value = str(item.value).strip()
            if not value or self.scalar(item) is None:
                self.problems.add(where, "empty entry", item)
                continue
            out.append(value)
        return tuple(out)


def _read_matching(reader: _Reader, node: yaml.Node, path: str) -> MatchSettings:
    values: dict[str, Any] = {}
    for key, _key_node, value_node in reader.mapping(node, path, tuple(_SETTING_TYPES)):
        where = _join(path, key)
        value = reader.scalar(value_node) if isinstance(value_node, yaml.ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            reader.problems.add(
                where, f"expected a number, found {_kind(value_node, value)}", value_node
            )
            continue
        if _SETTING_TYPES[key] is int and not float(value).is_integer():
            reader.problems.add(where, f"expected a whole number, found {value}", value_node)
            continue
        values[key] = _SETTING_TYPES[key](value)
    try:
        return MatchSettings(**values)
    except ValueError as exc:
        reader.problems.add(path, str(exc), node)
        return MatchSettings()


def _read_theme(
    reader: _Reader, tp_id: str, theme_id: str, node: yaml.Node, path: str
) -> Theme | None:
    fields_ = reader.mapping(
        node, path, ("label", "description", "keywords", "examples", "general")
    )
    label, description, keywords, examples, general = None, "", {}, (), False
    for key, _key_node, value in fields_:
        where = _join(path, key)
        if key == "general":
            flag = reader.scalar(value) if isinstance(value, yaml.ScalarNode) else None
            if not isinstance(flag, bool):
                reader.problems.add(
                    where, f"expected true or false, found {_kind(value, flag)}", value
                )
            else:
                general = flag
        elif key == "label":
            label = reader.text(value, where, required=True)
        elif key == "description":
            description = reader.text(value, where) or ""
        elif key == "examples":
            examples = reader.texts(value, where)
        elif key == "keywords":
            for lang, lang_node, words in reader.mapping(value, where, None):
                lang_path = _join(where, lang)
                if lang != ANY_LANGUAGE and not _LANG.match(lang):
                    reader.problems.add(
                        lang_path,
                        "expected a language code such as en, de, pl, fr, es, th (or 'any')",
                        lang_node,
                    )
                    continue
                keywords[lang] = reader.texts(words, lang_path)
    if not isinstance(node, yaml.MappingNode):
        return None
    if not any(keywords.values()) and not examples and not description:
        reader.problems.add(
            path, "nothing to match on: give keywords, examples or a description", node
        )
    return Theme(
        touchpoint=tp_id,
        id=theme_id,
        label=label or theme_id.replace("_", " ").capitalize(),
        description=description,
        keywords={lang: words for lang, words in keywords.items() if words},
        examples=examples,
        general=general,
    )


def _parse(text: str, source: str) -> tuple[Taxonomy | None, list[str]]:
    problems = _Problems()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [f"(file): not valid YAML{where}: {what}"]
    if root is None:
        return None, ["(file): the file is empty; expected 'name:' and 'touchpoints:'"]
    reader = _Reader(problems)
    top = {
        k: v
        for k, _kn, v in reader.mapping(
            root, "", ("name", "version", "description", "touchpoints", "matching")
        )
    }
    if not isinstance(root, yaml.MappingNode):
        return None, problems.items
    name = reader.text(top["name"], "name", required=True) if "name" in top else None
    if "name" not in top:
        problems.add("name", "missing: give the taxonomy a name", root)
    version = reader.text(top["version"], "version") if "version" in top else "1"
    description = reader.text(top["description"], "description") if "description" in top else ""
    matching = (
        _read_matching(reader, top["matching"], "matching")
        if "matching" in top
        else MatchSettings()
    )
    touchpoints: list[Touchpoint] = []
    if "touchpoints" not in top:
        problems.add("touchpoints", "missing: list the touchpoints and their themes", root)
    else:
        entries = reader.mapping(top["touchpoints"], "touchpoints", None)
        if isinstance(top["touchpoints"], yaml.MappingNode) and not entries:
            problems.add("touchpoints", "no touchpoints given", top["touchpoints"])
        for tp_id, tp_key, tp_node in entries:
            tp_path = f"touchpoints.{tp_id}"
            if not _ID.match(tp_id):
                problems.add(tp_path, "ids may hold letters, digits, '_' and '-' only", tp_key)
            tp_fields = {
                k: v
                for k, _kn, v in reader.mapping(
                    tp_node, tp_path, ("label", "description", "themes")
                )
            }
            label = (
                reader.text(tp_fields["label"], f"{tp_path}.label", required=True)
                if "label" in tp_fields
                else None
            )
            tp_desc = (
                reader.text(tp_fields["description"], f"{tp_path}.description")
                if "description" in tp_fields
                else ""
            )
            themes: list[Theme] = []
            if "themes" not in tp_fields:
                if isinstance(tp_node, yaml.MappingNode):
                    problems.add(
                        f"{tp_path}.themes",
                        "missing: a touchpoint needs at least one theme",
                        tp_node,
                    )
            else:
                theme_entries = reader.mapping(tp_fields["themes"], f"{tp_path}.themes", None)
                if isinstance(tp_fields["themes"], yaml.MappingNode) and not theme_entries:
                    problems.add(f"{tp_path}.themes", "no themes given", tp_fields["themes"])
                for theme_id, theme_key, theme_node in theme_entries:
                    theme_path = f"{tp_path}.themes.{theme_id}"
                    if not _ID.match(theme_id):
                        problems.add(
                            theme_path, "ids may hold letters, digits, '_' and '-' only", theme_key
                        )
                    theme = _read_theme(reader, tp_id, theme_id, theme_node, theme_path)
                    if theme is not None:
                        themes.append(theme)
            if themes and all(t.general for t in themes):
                # a catch-all gives way to a specific sibling; with none it would mean nothing
                problems.add(
                    f"{tp_path}.themes",
                    "'general: true' marks a touchpoint's catch-all theme; every theme here has "
                    "it, so none is specific (keep it on one theme)",
                    tp_fields["themes"],
                )
            touchpoints.append(
                Touchpoint(
                    id=tp_id,
                    label=label or tp_id.replace("_", " ").capitalize(),
                    description=tp_desc or "",
                    themes=tuple(themes),
                )
            )
    if problems.items:
        return None, problems.items
    taxonomy = Taxonomy(
        name=name or "",
        version=version or "1",
        description=description or "",
        touchpoints=tuple(touchpoints),
        matching=matching,
        source=source,
    )
    return taxonomy, []


# --------------------------------------------------------------------------------------------
# public API


def shipped_taxonomies() -> list[str]:
    """Names of the taxonomies that ship with feedback-nlp."""
    folder = resources.files("feedback_nlp.themes.taxonomies")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _resolve(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if text in shipped_taxonomies():
        return Path(str(resources.files("feedback_nlp.themes.taxonomies") / f"{text}.yaml"))
    if text == TAXONOMY_AUTO:  # chosen per export by `analyze`, never a file of that name
        raise TaxonomyError(
            f"'{TAXONOMY_AUTO}' is chosen per export when comments are analysed; here name a "
            f"taxonomy: {', '.join(shipped_taxonomies())}, or the path of a .yaml file."
        )
    path = Path(text).expanduser()
    if path.is_file():
        return path
    if path.suffix.lower() in (".yaml", ".yml") or path.parent != Path("."):
        raise TaxonomyError(
            f"Taxonomy file not found: {path}. Check the path, or use a shipped taxonomy: "
            f"{', '.join(shipped_taxonomies())}."
        )
    raise TaxonomyError(
        f"Unknown taxonomy '{text}': expected one of {', '.join(shipped_taxonomies())} "
        "or the path of a .yaml file."
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TaxonomyError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the taxonomy file as UTF-8."
        ) from None
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read the taxonomy file ({exc.strerror}).") from None


def check_taxonomy(name_or_path: str | Path) -> list[str]:
    """Every problem in a taxonomy file, each with its place in the file; [] when it is valid.

    >>> check_taxonomy("ecommerce-cx")
    []
    """
    path = _resolve(name_or_path)
    _taxonomy, problems = _parse(_read_text(path), str(path))
    return problems


@lru_cache(maxsize=16)
def _load_cached(path: str, mtime_ns: int) -> Taxonomy:
    taxonomy, problems = _parse(_read_text(Path(path)), path)
    if problems:
        shown = problems[:_MAX_PROBLEMS_IN_ERROR]
        more = len(problems) - len(shown)
        tail = f"; and {more} more" if more else ""
        raise TaxonomyError(
            f"Invalid taxonomy {path}: {'; '.join(shown)}{tail}. "
            f"Run `feedback-nlp taxonomy check {path}` for the full list."
        )
    assert taxonomy is not None
    return taxonomy


def load_taxonomy(name_or_path: str | Path | Taxonomy = EXAMPLE_TAXONOMY) -> Taxonomy:
    """A shipped taxonomy by name (see :func:`shipped_taxonomies`) or a YAML file.

    Raises TaxonomyError naming every problem (at most 20 in the message) when it is invalid.

    >>> load_taxonomy("restaurant").touchpoints[0].id
    'FOOD'
    """
    if isinstance(name_or_path, Taxonomy):
        return name_or_path
    path = _resolve(name_or_path)
    return _load_cached(str(path.resolve()), path.stat().st_mtime_ns)


def taxonomy_from_dict(data: Mapping[str, Any], *, source: str | None = None) -> Taxonomy:
    """Build a taxonomy from plain data (the file format as Python objects), validated alike."""
    taxonomy, problems = _parse(
        yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False), source or "<dict>"
    )
    if problems:
        raise TaxonomyError(f"Invalid taxonomy: {'; '.join(problems[:_MAX_PROBLEMS_IN_ERROR])}.")
    assert taxonomy is not None
    return taxonomy
