"""When to stop: per-epoch validation curves, and stopping rules replayed on them.

Each fit trains a fixed number of main-phase epochs (early stopping on, but
with a patience of 1000 epochs so that it never fires, and ``refit=False``)
and records, after every epoch, the validation loss and accuracy (on the
held-out 10%) and the test accuracy, all with the averaged weights. Early
stopping is then replayed on the recorded curves, monitoring the validation
accuracy or the validation loss (patience 5 and the 200-step floor, as in
the package), and the test accuracy at the epoch each rule keeps is
reported, beside fixed epoch counts and the best epoch in hindsight.

mfeat fit s is fold s % 5 of the 5-fold CV shuffled with seed s // 5 (as in
bench_training.py); SIM fits use beta 8.4e-5, mfeat fits beta="auto".

Run:  python benchmarks/bench_stopping.py [--mfeat 0-9] [--sim 0-1] [--workers 2]
"""

import json

import numpy as np
from _common import iter_parallel, mfeat_folds, parse_range, parser, sim_split

PATIENCE, MIN_STEPS, TOL = 5, 200, 1e-4


def fit_curves(job):
    import torch
    from sklearn.preprocessing import LabelEncoder
    from skorch.callbacks import Callback

    from omib_sklearn import OMIBClassifier

    case, seed, epochs = job
    if case == "mfeat":
        Xtr, ytr, Xte, yte = list(mfeat_folds(seed // 5))[seed % 5]
        beta = "auto"
    else:
        Xtr, ytr, Xte, yte, _, _ = sim_split(case, seed)
        beta = 8.4e-5
    y_test = LabelEncoder().fit(ytr).transform(yte)
    X_test = [torch.as_tensor(a, dtype=torch.float32) for a in Xte]

    class TestAccuracy(Callback):
        def on_epoch_end(self, net, **kwargs):
            if net.phase != "main":
                return
            with net.averaged_weights(), torch.no_grad():
                net.module_.eval()
                logits = net.module_(X_test).y_hat
            net.history.record("test_acc", float((logits.argmax(1).numpy() == y_test).mean()))

    clf = OMIBClassifier(
        beta=beta, random_state=seed, refit=False, max_epochs=epochs, n_iter_no_change=1000,
        callbacks=[("test_accuracy", TestAccuracy())],
    ).fit(Xtr, ytr)
    main = clf.history_["main"]
    return {
        "case": case, "seed": seed, "steps_per_epoch": clf.net_.steps_per_epoch_,
        "valid_acc": [e["valid_score"] for e in main],
        "valid_loss": [e["valid_loss"] for e in main],
        "test": [e["test_acc"] for e in main],
    }


def replay(losses, steps_per_epoch):
    """Index of the epoch early stopping keeps on this curve of losses."""
    best, best_epoch, bad = np.inf, 0, 0
    for epoch, loss in enumerate(losses):
        if loss < best - TOL:
            best, best_epoch, bad = loss, epoch, 0
        else:
            bad += 1
            if bad >= PATIENCE and bad * steps_per_epoch >= MIN_STEPS:
                break
    return best_epoch


def main():
    ap = parser(params=False)
    ap.add_argument("--mfeat", default="0-9", help="mfeat fits, e.g. 0-9")
    ap.add_argument("--sim", default="0-1", help="seeds of each SIM case, e.g. 0-1")
    ap.add_argument("--mfeat-epochs", type=int, default=80)
    ap.add_argument("--sim-epochs", type=int, default=40)
    args = ap.parse_args()
    jobs = [("mfeat", s, args.mfeat_epochs) for s in parse_range(args.mfeat)]
    jobs += [(c, s, args.sim_epochs) for c in ("SIM-I", "SIM-II", "SIM-III") for s in parse_range(args.sim)]
    print(f"{len(jobs)} fits, {args.workers} worker(s)", flush=True)
    curves = list(iter_parallel(fit_curves, jobs, args.workers))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(curves, f)
    for group in ("mfeat", "SIM"):
        mine = [c for c in curves if (c["case"] == "mfeat") == (group == "mfeat")]
        if not mine:
            continue
        print(f"\n{group} ({len(mine)} fits): test accuracy at the epoch each rule keeps")
        rules = {
            "early stopping on validation accuracy":
                [replay(-np.asarray(c["valid_acc"]), c["steps_per_epoch"]) for c in mine],
            "early stopping on validation loss":
                [replay(c["valid_loss"], c["steps_per_epoch"]) for c in mine],
            **{f"fixed {e} epochs": [min(e, len(c["test"])) - 1 for c in mine] for e in (10, 20, 30, 40)},
            "best epoch in hindsight (test)": [int(np.argmax(c["test"])) for c in mine],
        }
        for name, kept in rules.items():
            acc = np.mean([c["test"][k] for c, k in zip(mine, kept)])
            print(f"  {name:40s} {acc:.4f}   epochs kept {[k + 1 for k in kept]}")


if __name__ == "__main__":
    main()
