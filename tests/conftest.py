"""Shared test settings: fast constructor parameters for every OMIB estimator."""

import os

# The tests fit tiny networks: intra-op threads only add contention (tenfold
# slower on a busy 2-core machine). Worker processes (joblib, dask) inherit
# the variable.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

torch.set_num_threads(1)

#: Small network, few epochs and MINE steps: a fit takes well under a second.
FAST = dict(
    n_estimators=1,
    max_epochs=2,
    warmup_epochs=1,
    mine_steps=10,
    encoder_hidden=(16,),
    embedding_dim=16,
    latent_dim=8,
    n_heads=2,
    batch_size=64,
    early_stopping=False,
)

