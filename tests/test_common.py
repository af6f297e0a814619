"""scikit-learn's estimator checks over the three OMIB estimators.

Route 2 with ``modalities=None``: one 2-D array is one modality, the input
sklearn's checks generate. Every check runs; the few expected failures are
would be listed in ``EXPECTED_FAILED_CHECKS`` with their reason (none is).
"""

import warnings

from conftest import FAST
from sklearn.utils.estimator_checks import parametrize_with_checks

from omib_sklearn import OMIBAnomalyDetector, OMIBClassifier, OMIBRegressor

# FAST, plus a fixed small beta and a larger step so that the few epochs fit
# sklearn's toy problems (check_classifiers_train asks for > 0.83 accuracy on
# blobs, check_regressors_train for R^2 > 0.5). beta="auto" is covered by the
# other test modules.
CHECK_PARAMS = {**FAST, "beta": 1e-3, "lr": 1e-2, "input_weight_decay": 0.3,
                "batch_size": 32, "random_state": 0}

# The checks expected to fail, with their reason (also in
# docs/sklearn_compatibility.md).
_WEIGHTS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "an integer weight w scales a row's loss by w; it is not the same as "
        "w copies of the row in the mini-batches of stochastic training (as "
        "for MLPClassifier and SGDClassifier)"
    ),
}
EXPECTED_FAILED_CHECKS = {
    "OMIBClassifier": _WEIGHTS, "OMIBRegressor": _WEIGHTS, "OMIBAnomalyDetector": _WEIGHTS,
}

ESTIMATORS = [
    OMIBClassifier(**CHECK_PARAMS),
    OMIBRegressor(**CHECK_PARAMS),
    OMIBAnomalyDetector(**CHECK_PARAMS),
]


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS[type(est).__name__],
)
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        # MINE's repair warnings and skorch's device warnings are not what is
        # checked here.
        warnings.simplefilter("ignore", UserWarning)
        check(estimator)
