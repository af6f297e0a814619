"""The documented defaults match the constructors, for every estimator."""

import inspect
import re

import pytest

from omib_sklearn import OMIBAnomalyDetector, OMIBClassifier, OMIBRegressor


@pytest.mark.parametrize("Estimator", [OMIBClassifier, OMIBRegressor, OMIBAnomalyDetector])
def test_documented_defaults_match_signature(Estimator):
    documented = dict(re.findall(r"^    (\w+) : [^\n]*default=([^\n]+)$", Estimator.__doc__, flags=re.M))
    signature = inspect.signature(Estimator.__init__).parameters
    params = [p for p in signature if p != "self"]
    assert set(params) <= set(documented), set(params) - set(documented)
    for name in params:
        default = signature[name].default
        text = documented[name]
        if isinstance(default, str):
            assert text == f'"{default}"', name
        elif isinstance(default, float):
            assert float(text) == default, name
        else:
            assert text == repr(default), name
