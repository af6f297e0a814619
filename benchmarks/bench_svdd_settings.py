"""Deep SVDD settings of OMIBAnomalyDetector on the suite's one-class rows.

Compares the package's defaults (``svdd_dim=64``; AdamW with a decoupled
decay of 1e-5 at lr 1e-4) with the paper's head and optimizer (a head of
256 outputs; Adam with an L2 weight decay of 0.1, App. H) and with a strong
decoupled decay, on the ten digits of each one-class row of
``benchmarks/suite.py`` (mean ROC AUC). The paper's optimizer is run by
substituting ``torch.optim.Adam`` for ``torch.optim.AdamW`` in this process,
since the estimators always use AdamW.

Run:  python benchmarks/bench_svdd_settings.py [OUT.jsonl]
(one torch thread; prints one line per fit, then a table)
"""

import json
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import suite  # noqa: E402

from omib_sklearn import OMIBAnomalyDetector  # noqa: E402

ADAMW = torch.optim.AdamW
CONFIGS = [
    ("defaults (svdd_dim 64, AdamW decay 1e-5)", {}, False),
    ("svdd_dim 256", {"svdd_dim": 256}, False),
    ("svdd_dim 256, AdamW decay 10", {"svdd_dim": 256, "weight_decay": 10,
                                      "input_weight_decay": 10}, False),
    ("paper: svdd_dim 256, Adam L2 decay 0.1", {"svdd_dim": 256, "weight_decay": 0.1,
                                                "input_weight_decay": 0.1}, True),
]
ROWS = ("one-class fou+pix", "one-class kar+fac")


def main(out=None):
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    results = []
    for label, params, adam in CONFIGS:
        torch.optim.AdamW = torch.optim.Adam if adam else ADAMW
        for row_name in ROWS:
            row = next(r for r in suite.ROWS if r.name == row_name)
            for i in range(row.n_splits):
                Xtr, _, Xte, yte, seed = suite.split(row, i)
                start = time.perf_counter()
                det = OMIBAnomalyDetector(random_state=seed, **params).fit(Xtr)
                auc = float(roc_auc_score(yte, -det.score_samples(Xte)))
                r = {"config": label, "row": row_name, "split": i, "auc": auc,
                     "seconds": time.perf_counter() - start}
                results.append(r)
                print(json.dumps(r), flush=True)
                if out:
                    with open(out, "a") as f:
                        f.write(json.dumps(r) + "\n")
    torch.optim.AdamW = ADAMW
    print("\n| settings | " + " | ".join(ROWS) + " |\n|---|" + "---|" * len(ROWS))
    for label, _, _ in CONFIGS:
        cells = [np.mean([r["auc"] for r in results if r["config"] == label and r["row"] == row])
                 for row in ROWS]
        print(f"| {label} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")


if __name__ == "__main__":
    main(*sys.argv[1:2])
