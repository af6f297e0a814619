"""
OMIB regression on the diabetes data, split into two modalities
===============================================================

``sklearn.datasets.load_diabetes`` describes 442 patients by ten baseline
variables. We read them as two modalities:

* clinical: age, sex, body-mass index, mean blood pressure;
* blood serum: the six serum measurements s1..s6;

and predict disease progression one year later. :class:`OMIBRegressor` fuses
the two modalities; RidgeCV on each modality and on their concatenation are
the baselines. All models are scored with 5-fold cross-validation (R^2 and
mean absolute error, in the target's units).

The :class:`~omib_sklearn.Modalities` container lets ``cross_validate`` split
both modalities by rows at once.
"""

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_validate

from omib_sklearn import Modalities, OMIBRegressor

X, y = load_diabetes(return_X_y=True)
clinical, serum = X[:, :4], X[:, 4:]
cv = KFold(n_splits=5, shuffle=True, random_state=0)
scoring = {"r2": "r2", "mae": "neg_mean_absolute_error"}
ridge = RidgeCV(alphas=np.logspace(-3, 3, 13))

candidates = {
    "Ridge, clinical [age, sex, bmi, bp]": (ridge, clinical),
    "Ridge, serum [s1..s6]": (ridge, serum),
    "Ridge, concatenation": (ridge, X),
    "OMIBRegressor, both modalities": (
        OMIBRegressor(random_state=0), Modalities([clinical, serum], names=["clinical", "serum"])
    ),
}

print(f"{'model':38s} {'R^2':>15s} {'MAE':>15s}")
for name, (model, data) in candidates.items():
    res = cross_validate(model, data, y, cv=cv, scoring=scoring)
    r2, mae = res["test_r2"], -res["test_mae"]
    print(f"{name:38s} {r2.mean():7.3f} +- {r2.std():5.3f} {mae.mean():7.2f} +- {mae.std():5.2f}")

# A fitted model: the MIB embedding and the information-based beta.
reg = OMIBRegressor(random_state=0).fit([clinical, serum], y)
print(f"\nbeta = {reg.beta_:.3g} in [M_l, M_u] = [{reg.beta_bounds_[0]:.3g}, "
      f"{reg.beta_bounds_[1]:.3g}]; r = {np.round(reg.r_, 3)}")
print("embedding shape:", reg.transform([clinical, serum]).shape)
