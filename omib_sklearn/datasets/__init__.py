"""Synthetic multimodal data and bundled real data."""

from ._mfeat import load_multiple_features
from ._synthetic import make_cross_modal, make_multimodal_classification

__all__ = ["load_multiple_features", "make_cross_modal", "make_multimodal_classification"]
