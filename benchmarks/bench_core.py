"""Core benchmark: OMIBClassifier on SIM-I against logistic regression, the
fit time split by stage, and the per-epoch overhead of the skorch training
against a plain torch loop over the same network and loss.

Run: python benchmarks/bench_core.py [--threads 2] [--epochs 5]
"""

import argparse
import time

import numpy as np
import torch
from _common import sim_split
from sklearn.linear_model import LogisticRegressionCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from omib_sklearn import OMIBClassifier
from omib_sklearn._tasks import ClassificationTask
from omib_sklearn._training import tail_average_decay
from omib_sklearn.nn import OMIBModule
from omib_sklearn.nn._modules import gaussian_kl


def plain_torch_epoch_seconds(Xtr, ytr, clf, epochs):
    """The main phase written as a bare torch loop: same module, batch size,
    optimizer (AdamW with the input-layer group), weight averaging and loss
    (task + beta * KL + task-relevance heads)."""
    p = clf.get_params()
    torch.manual_seed(0)
    module = OMIBModule([x.shape[1] for x in Xtr], 2, encoder_hidden=tuple(p["encoder_hidden"]),
                        embedding_dim=p["embedding_dim"], latent_dim=p["latent_dim"],
                        n_heads=p["n_heads"], dropout=p["dropout"], input_dropout=p["input_dropout"])
    xs = [torch.as_tensor(x, dtype=torch.float32) for x in Xtr]
    y = torch.as_tensor(ytr)
    inputs = [enc.net[1][0].weight for enc in module.encoders]
    rest = [q for q in module.parameters() if all(q is not w for w in inputs)]
    opt = torch.optim.AdamW([
        {"params": inputs, "weight_decay": p["input_weight_decay"]},
        {"params": rest, "weight_decay": p["weight_decay"]},
    ], lr=p["lr"])
    params = list(module.parameters())
    average = [q.detach().clone() for q in params]
    steps_per_epoch = -(-len(y) // p["batch_size"])
    step = 0
    task = ClassificationTask(2)
    times = []
    module.train()
    for _ in range(epochs):
        start = time.perf_counter()
        perm = torch.randperm(len(y))
        for i in range(0, len(y), p["batch_size"]):
            idx = perm[i:i + p["batch_size"]]
            out = module.forward_train([x[idx] for x in xs])
            kl = sum(gaussian_kl(m, lv).mean() for m, lv in zip(out.mu, out.logvar))
            loss = task.loss(out.y_hat, y[idx]) + clf.beta_ * kl + sum(
                task.loss(t, y[idx]) for t in out.trb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if p["averaging_epochs"]:
                decay = tail_average_decay(step, p["averaging_epochs"] * steps_per_epoch)
                with torch.no_grad():
                    for a, q in zip(average, params):
                        a.lerp_(q, 1.0 - decay)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=5, help="epochs timed for the overhead ratio")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    Xtr, ytr, Xte, yte, Otr, Ote = sim_split("SIM-I", 0)
    print(f"SIM-I, {len(ytr)} train / {len(yte)} test, torch threads = {args.threads}")

    # The first optimizer of a process imports torch._dynamo (about 3 s here);
    # do it before timing so that it is not charged to whichever stage of
    # fit happens to create the first optimizer (MINE's).
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    start = time.perf_counter()
    clf = OMIBClassifier(random_state=0).fit(Xtr, ytr)
    total = time.perf_counter() - start

    def logreg():
        return make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=8, max_iter=3000))

    rows = [
        ("OMIBClassifier predictions", clf.score(Xte, yte)),
        ("LogisticRegression on OMIB transform", logreg().fit(clf.transform(Xtr), ytr).score(clf.transform(Xte), yte)),
        ("LogisticRegression on [x1; x2]", logreg().fit(np.hstack(Xtr), ytr).score(np.hstack(Xte), yte)),
        ("LogisticRegression on oracle [a0; a1; a2]", logreg().fit(Otr, ytr).score(Ote, yte)),
    ]
    print(f"\n{'model':<42} test accuracy")
    for name, acc in rows:
        print(f"{name:<42} {acc:.4f}")
    low, high = clf.beta_bounds_
    print(f"\nbeta = {clf.beta_:.4g} in [M_l, M_u] = [{low:.4g}, {high:.4g}]")
    print(f"\nfit time {total:.1f} s: " + ", ".join(
        f"{k} {v:.1f} s ({100 * v / total:.0f}%)" for k, v in clf.fit_times_.items())
        + f"; epochs {clf.n_epochs_}")

    # Per-epoch cost: skorch net (main phase, from its history) vs bare loop.
    timed = OMIBClassifier(random_state=0, beta=clf.beta_, warmup_epochs=0,
                           max_epochs=args.epochs, early_stopping=False).fit(Xtr, ytr)
    ours = float(np.median([e["dur"] for e in timed.history_["main"]]))
    plain = plain_torch_epoch_seconds(Xtr, ytr, timed, args.epochs)
    print(f"\nmain-phase epoch: omib_sklearn {ours:.3f} s, plain torch loop {plain:.3f} s, "
          f"ratio {ours / plain:.2f} (median of {args.epochs} epochs)")


if __name__ == "__main__":
    main()
