"""
Training curves, information estimates, r and modality importance
=================================================================

:mod:`omib_sklearn.plotting` draws what a fitted OMIB estimator records, as
scikit-learn Displays: each has a ``from_estimator`` constructor and keeps
its figure and artists as attributes (``figure_``, ``lines_``, ``im_``,
``bars_``, ...).

A small classifier is fitted on two views of the bundled UCI Multiple
Features digits (76 Fourier coefficients and 240 pixel averages), with
``dynamic_r=True`` so that the modality weights r move during training.

Run: MPLBACKEND=Agg python examples/plot_training_and_information.py
"""

# %%
# Fit a small model
# -----------------
# Three cross-fitted networks, each early-stopped on its own held-out rows.
# To stay short the example trains for at most 20 epochs, while the
# validation loss is still falling slowly: fit would say so with a
# ConvergenceWarning, silenced here.
import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from omib_sklearn import OMIBClassifier
from omib_sklearn.datasets import load_multiple_features
from omib_sklearn.plotting import (
    InformationDisplay,
    ModalityImportanceDisplay,
    RTrajectoryDisplay,
    TrainingCurvesDisplay,
)

X, y = load_multiple_features(views=("fou", "pix"), return_X_y=True)
split = train_test_split(*X, y, test_size=0.25, stratify=y, random_state=0)
X_train, X_test = split[0:4:2], split[1:4:2]
y_train, y_test = split[4], split[5]

clf = OMIBClassifier(
    n_estimators=3, max_epochs=20, mine_steps=50, encoder_hidden=(64,), embedding_dim=64,
    latent_dim=16, head_hidden=64, dynamic_r=True, lr=3e-3, random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(dict(fou=X_train[0], pix=X_train[1]), y_train)
print(f"test accuracy: {clf.score(dict(fou=X_test[0], pix=X_test[1]), y_test):.3f}")

# %%
# Training curves
# ---------------
# The training loss (solid) and validation loss (dashed) of each network in
# both phases; the dots mark the epoch whose weights early stopping kept.
display = TrainingCurvesDisplay.from_estimator(clf)
print("lines_ (networks, phases, curves):", display.lines_.shape)

# %%
# Information estimates and beta
# ------------------------------
# MINE's estimates of the entropies H_i (diagonal) and the mutual information
# I_12, and the beta drawn from OMIB's bounds [M_l, M_u] they give.
display = InformationDisplay.from_estimator(clf)

# %%
# Modality weights r
# ------------------
# r_1 is 1 by definition; r_2 follows how far the pixel view's task-relevance
# head is from the fusion head (Eq. 11). The band spans the three networks.
display = RTrajectoryDisplay.from_estimator(clf)

# %%
# Modality importance
# -------------------
# The drop in test accuracy when a view is absent, over bootstrap resamples.
display = ModalityImportanceDisplay.from_estimator(
    clf, dict(fou=X_test[0], pix=X_test[1]), y_test, random_state=0
)
plt.show()
