"""
OMIB with scikit-learn's tooling
================================

The four routes of multimodal data into scikit-learn's tools:

1. A ``Modalities`` container through cross-validation and grid search.
2. One 2-D array plus the ``modalities`` parameter in an ordinary Pipeline.
3. Per-modality scaling with ``ModalityTransformer`` in a Pipeline.
4. The OMIB embedding feeding a second model.

Small settings keep it to well under a minute on a laptop CPU; drop the
``FAST`` overrides for real work.
"""

import warnings

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from omib_sklearn import Modalities, OMIBClassifier
from omib_sklearn.compose import ModalityTransformer

FAST = dict(
    max_epochs=5, warmup_epochs=1, mine_steps=20, encoder_hidden=(32,),
    embedding_dim=32, latent_dim=8, n_heads=2, batch_size=32, lr=1e-2, beta=1e-3,
    # lr is 100x the default, so the input-layer decay is 100x smaller (the
    # shrink per step is lr * input_weight_decay); five epochs are too short
    # for weight averaging.
    input_weight_decay=0.3, averaging_epochs=0, random_state=0,
)
# Five epochs stop runs that were still improving, on purpose: fit warns so.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

# Two modalities on very different scales whose means shift with the label.
rng = np.random.default_rng(0)
y = rng.integers(0, 2, 300)
X_image = (rng.normal(size=(300, 6)) + 0.8 * y[:, None]) * 100.0
X_text = (rng.normal(size=(300, 4)) + 0.8 * y[:, None]) * 0.01
cv = StratifiedKFold(5, shuffle=True, random_state=0)

# -- Route 1: a Modalities container is split by rows like one array ---------------
X = Modalities({"image": X_image, "text": X_text})
print(X, "len:", len(X), "rows 0-2:", X[[0, 1, 2]])

res = cross_validate(
    OMIBClassifier(**FAST), X, y, cv=cv, scoring=["accuracy", "roc_auc"], n_jobs=1
)
print(
    f"[1] cross_validate: accuracy {res['test_accuracy'].mean():.3f}, "
    f"ROC AUC {res['test_roc_auc'].mean():.3f}"
)

search = GridSearchCV(
    OMIBClassifier(**FAST), {"beta": [1e-3, 1e-1], "latent_dim": [4, 8]}, cv=cv
).fit(X, y)
print(f"[1] GridSearchCV: best {search.best_params_}, accuracy {search.best_score_:.3f}")

# -- Route 2: one array + the ``modalities`` parameter: any Pipeline works ---------
X_wide = np.hstack([X_image, X_text])
pipe = make_pipeline(StandardScaler(), OMIBClassifier(modalities=[6, 4], **FAST))
res = cross_validate(pipe, X_wide, y, cv=cv, scoring="balanced_accuracy")
print(f"[2] StandardScaler + OMIB(modalities=[6, 4]): {res['test_score'].mean():.3f}")

pre = ColumnTransformer(
    [("image", StandardScaler(), list(range(6))), ("text", PCA(2), [6, 7, 8, 9])]
)
pipe = make_pipeline(pre, OMIBClassifier(modalities=[6, 2], **FAST))
res = cross_validate(pipe, X_wide, y, cv=cv)
print(f"[2] ColumnTransformer + OMIB(modalities=[6, 2]): {res['test_score'].mean():.3f}")

# -- Route 3: per-modality scaling on multimodal input ------------------------------
pipe = make_pipeline(
    ModalityTransformer(StandardScaler()), OMIBClassifier(**FAST, standardize=False)
)
res = cross_validate(pipe, X, y, cv=cv)
print(f"[3] ModalityTransformer(StandardScaler()) + OMIB: {res['test_score'].mean():.3f}")

# -- Route 4: the embedding feeds a second model ------------------------------------
pipe = make_pipeline(OMIBClassifier(**FAST), LogisticRegression())
res = cross_validate(pipe, X, y, cv=cv)
print(f"[4] OMIB embedding -> LogisticRegression: {res['test_score'].mean():.3f}")

omib = OMIBClassifier(**FAST).set_output(transform="pandas")
embedding = omib.fit_transform(X, y)
print("[4] embedding columns:", list(embedding.columns[:3]), "... shape", embedding.shape)
