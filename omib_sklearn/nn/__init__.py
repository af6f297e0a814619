"""Torch modules of OMIB. Nothing here imports scikit-learn."""

from ._encoders import MemberEncoder
from ._mine import StatisticsNetwork
from ._modules import (
    CrossAttentionFusion,
    Encoder,
    ModuleOutput,
    OMIBModule,
    SVDDHead,
    VariationalHead,
)

__all__ = [
    "CrossAttentionFusion",
    "Encoder",
    "MemberEncoder",
    "ModuleOutput",
    "OMIBModule",
    "SVDDHead",
    "StatisticsNetwork",
    "VariationalHead",
]
