"""The builtin sentiment architecture: LoRA on the encoder's linears and a mean-pooling head.

Training (``scripts/train_sentiment.py``) wraps the encoder's attention and feed-forward linears
in :class:`LoRALinear` and saves :func:`trainable_state`; inference rebuilds the classifier with
:func:`build_builtin`, which merges the LoRA deltas into the frozen weights, so a plain BERT
forward pass runs.

>>> model = build_builtin(encoder, adapter, config)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import nn

from feedback_nlp.errors import ModelError
from feedback_nlp.schema import SENTIMENT_LABELS

# ---------------------------------------------------------------------------------------------
# LoRA: trained as a low-rank delta, merged into the frozen weights for inference

LORA_TARGETS = re.compile(
    r"encoder\.layer\.(\d+)\.(attention\.self\.(query|key|value)|attention\.output\.dense"
    r"|intermediate\.dense|output\.dense)$"
)


class LoRALinear(nn.Module):
    """``base(x) + scale · B(A(x))`` with ``base`` frozen; B starts at zero, so training starts at base."""

    def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float = 0.0):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scale = alpha / r
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (self.dropout(x) @ self.lora_A.T @ self.lora_B.T) * self.scale

    def merged(self) -> nn.Linear:
        with torch.no_grad():
            delta = (self.lora_B.float() @ self.lora_A.float()) * self.scale
            self.base.weight += delta.to(self.base.weight.dtype)
        return self.base


def _lora_modules(model: nn.Module, first_layer: int = 0) -> Iterator[tuple[str, nn.Module]]:
    for name, module in list(model.named_modules()):
        m = LORA_TARGETS.search(name)
        if m and int(m.group(1)) >= first_layer and isinstance(module, (nn.Linear, LoRALinear)):
            yield name, module


def _set_module(model: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, module)


def add_lora(
    model: nn.Module, r: int, alpha: float, *, first_layer: int = 0, dropout: float = 0.0
) -> int:
    """Wrap the attention and feed-forward linears of layers >= first_layer; returns how many."""
    count = 0
    for name, module in _lora_modules(model, first_layer):
        if isinstance(module, nn.Linear):
            _set_module(model, name, LoRALinear(module, r, alpha, dropout))
            count += 1
    return count


def merge_lora(model: nn.Module) -> None:
    """Fold every LoRALinear back into a plain nn.Linear (inference is then a plain BERT)."""
    for name, module in list(model.named_modules()):
        if isinstance(module, LoRALinear):
            _set_module(model, name, module.merged())


# ---------------------------------------------------------------------------------------------
# The builtin architecture


class MeanPoolClassifier(nn.Module):
    """An encoder (BertModel) + masked mean pooling + dropout + linear head.

    Mean pooling is how e5 was trained to summarise a text, so a short fine-tune starts from a
    useful sentence vector rather than an untrained [CLS] pooler.
    """

    def __init__(self, encoder: nn.Module, num_labels: int = 3, dropout: float = 0.1):
        super().__init__()
        self.bert = encoder
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(encoder.config.hidden_size, num_labels)
        self.config = encoder.config

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **_: Any
    ) -> torch.Tensor:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.classifier(self.dropout(pooled))


def trainable_state(model: MeanPoolClassifier) -> dict[str, torch.Tensor]:
    """The parts training changes: LoRA matrices, LayerNorms, the head (what ships)."""
    keep = re.compile(r"(lora_[AB]|LayerNorm\.(weight|bias)|^classifier\.(weight|bias))$")
    return {
        k: v.detach().cpu().contiguous() for k, v in model.state_dict().items() if keep.search(k)
    }


def build_builtin(
    encoder: nn.Module, adapter: Mapping[str, torch.Tensor], config: Mapping[str, Any]
) -> MeanPoolClassifier:
    """The builtin classifier from the encoder and the shipped adapter, LoRA merged."""
    model = MeanPoolClassifier(encoder, num_labels=len(SENTIMENT_LABELS))
    add_lora(
        model.bert,
        config["lora_r"],
        config["lora_alpha"],
        first_layer=config.get("lora_first_layer", 0),
    )
    state = {k: v.float() for k, v in adapter.items()}
    result = model.load_state_dict(state, strict=False)
    if result.unexpected_keys:
        raise ModelError(
            f"the sentiment adapter does not fit the encoder ({len(result.unexpected_keys)} unknown "
            f"tensors, e.g. {result.unexpected_keys[0]}); reinstall feedback-nlp or retrain the adapter"
        )
    missing_lora = [k for k in result.missing_keys if "lora_" in k or k.startswith("classifier.")]
    if missing_lora:
        raise ModelError(
            f"the sentiment adapter lacks {len(missing_lora)} tensors (e.g. {missing_lora[0]})"
        )
    merge_lora(model)
    return model.eval()
