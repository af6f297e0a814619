"""omib_sklearn: Optimal Multimodal Information Bottleneck (OMIB) estimators
for scikit-learn."""

from ._anomaly import OMIBAnomalyDetector
from ._classifier import OMIBClassifier
from ._container import Modalities
from ._information import MINE, beta_bounds, estimate_information, select_beta
from ._persistence import load_model, save_model
from ._regressor import OMIBRegressor

__version__ = "0.2.0"

__all__ = [
    "MINE",
    "Modalities",
    "OMIBAnomalyDetector",
    "OMIBClassifier",
    "OMIBRegressor",
    "beta_bounds",
    "estimate_information",
    "load_model",
    "save_model",
    "select_beta",
]
