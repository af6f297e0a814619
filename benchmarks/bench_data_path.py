"""The data path of the training: the stacked-batch iterator the net uses
(``NetworkBatches``) against torch's DataLoader reading a Dataset with
``__getitems__`` (skorch's own path), on SIM-I's training rows with five
cross-fitted networks.

Both yield the same batches: for each network, a batch of its own training
rows, ``(K, batch, features)`` per modality, with targets and loss weights.
The table gives the seconds per epoch spent producing batches, the seconds
of a default main-phase epoch (forward, backward, optimizer step, weight
average), and the ratio of a whole epoch with either path.

Run: python benchmarks/bench_data_path.py [--threads 1] [--epochs 5]
"""

import argparse
import time

import numpy as np
import torch
from _common import sim_split

from omib_sklearn import OMIBClassifier
from omib_sklearn._data import Batch, ModalityData
from omib_sklearn._row_plan import plan_rows
from omib_sklearn._training import NetworkBatches, NetworkRows


class StackedRows(torch.utils.data.Dataset):
    """Index i is position i of every network's shuffled row order: a
    DataLoader batch of positions is one stacked batch, read at once by
    ``__getitems__`` (torch >= 2.2 calls it with the batch's indices)."""

    def __init__(self, data, seed=0):
        self.data = data
        self.generator = torch.Generator().manual_seed(seed)
        self.shuffle()

    def shuffle(self):
        n = len(self.data)
        order, real = [], []
        for r in self.data.rows:
            r = r[torch.randperm(len(r), generator=self.generator)]
            pad = n - len(r)
            real.append(torch.cat([torch.ones(len(r)), torch.zeros(pad)]))
            order.append(torch.cat([r, r[:1].expand(pad)]) if pad else r)
        self.order, self.real = torch.stack(order), torch.stack(real)

    def __len__(self):
        return len(self.data)

    def __getitems__(self, positions):
        idx = self.order[:, positions]
        w = self.real[:, positions]
        if self.data.weight is not None:
            w = w * self.data.weight[idx]
        return Batch([v[idx] for v in self.data.inputs], None, self.data.target[idx], w)


def seconds_per_epoch(make_batches, epochs):
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        for _batch in make_batches():
            pass
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    Xtr, ytr, _, _, _, _ = sim_split("SIM-I", 0)
    plan = plan_rows(len(ytr), ytr, n_estimators=5, early_stopping=True,
                     validation_fraction=0.1, refit=True, stratify=True,
                     random_state=np.random.RandomState(0))
    data = NetworkRows(ModalityData(list(Xtr)), ytr, plan.train)
    batch_size = 128

    iterator = NetworkBatches(data, batch_size, shuffle=True, seed=0)
    ours = seconds_per_epoch(lambda: iterator, args.epochs)
    stacked = StackedRows(data)
    loader = torch.utils.data.DataLoader(stacked, batch_size=batch_size, shuffle=False,
                                         collate_fn=lambda b: b)

    def loader_epoch():
        stacked.shuffle()
        return loader

    theirs = seconds_per_epoch(loader_epoch, args.epochs)

    clf = OMIBClassifier(random_state=0, beta=1e-4, warmup_epochs=0, max_epochs=args.epochs,
                         early_stopping=False, n_estimators=5).fit(Xtr, ytr)
    epoch = float(np.median([e["dur"] for e in clf.history_["main"]]))
    steps = epoch - ours
    print(f"SIM-I, {len(ytr)} rows, 5 networks, batch {batch_size}, torch threads = {args.threads}, "
          f"median of {args.epochs} epochs\n")
    print("| data path | batches s/epoch | whole epoch s | epoch ratio vs NetworkBatches |")
    print("|---|---|---|---|")
    print(f"| NetworkBatches (used) | {ours:.4f} | {epoch:.3f} | 1.00 |")
    print(f"| DataLoader + __getitems__ | {theirs:.4f} | {steps + theirs:.3f} | "
          f"{(steps + theirs) / epoch:.3f} |")


if __name__ == "__main__":
    main()
