"""The one door to scikit-learn's private API.

These names are private in scikit-learn and have moved between releases
(``_validate_data`` became ``validate_data`` in 1.6, ``_more_tags`` became
``__sklearn_tags__``). Every module of the package imports them from here,
so that a new scikit-learn release is met in one place. Tested on the
oldest and the newest scikit-learn the package declares.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from sklearn.utils._set_output import _safe_set_output
from sklearn.utils.validation import _check_sample_weight, _get_feature_names

__all__ = [
    "HasMethods",
    "Interval",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "_get_feature_names",
    "_safe_set_output",
    "validate_params",
]
