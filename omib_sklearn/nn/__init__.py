"""Torch modules of OMIB. Nothing here imports scikit-learn."""

from ._modules import (
    CrossAttentionFusion,
    Encoder,
    OMIBModule,
    SVDDHead,
    VariationalHead,
)
from ._mine import StatisticsNetwork

__all__ = [
    "CrossAttentionFusion",
    "Encoder",
    "OMIBModule",
    "SVDDHead",
    "StatisticsNetwork",
    "VariationalHead",
]
