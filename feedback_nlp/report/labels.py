"""Labels of themes and touchpoints: the user's, else the prettified id."""

from __future__ import annotations

import re


def prettify(theme_id: object) -> str:
    """Default label of a theme or touchpoint id: ``late_delivery`` -> ``Late delivery``."""
    text = re.sub(r"[_\-]+", " ", str(theme_id)).strip()
    return text[:1].upper() + text[1:] if text else str(theme_id)


def theme_label(labels: dict | None, touchpoint: object, theme: object) -> str:
    if labels:
        for key in ((touchpoint, theme), theme):
            if labels.get(key):
                return str(labels[key])
    return prettify(theme)


def touchpoint_label(labels: dict | None, touchpoint: object) -> str:
    if labels and touchpoint in labels and labels[touchpoint]:
        return str(labels[touchpoint])
    return prettify(touchpoint)
