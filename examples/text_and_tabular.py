"""
Text and tabular columns
========================

A sparse TF-IDF modality beside dense features.

Synthetic documents are drawn from two topic vocabularies that share a
common vocabulary (the class is the topic; a document mixes its topic's
words with common ones), vectorized with ``TfidfVectorizer`` into a sparse
matrix, and paired with a few numeric columns that carry a weaker signal
of the class. ``OMIBClassifier`` takes the sparse matrix as it is: it stays
sparse in memory, each batch densifies its own rows, and it is scaled
without centring (see ``docs/sparse.md``). Runs in seconds.

Run: python examples/text_and_tabular.py
"""

import numpy as np
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from omib_sklearn import Modalities, OMIBClassifier


def make_documents(n, rng):
    """``n`` documents of two topics and their class (the topic)."""
    common = [f"word{i}" for i in range(400)]
    topics = [[f"sport{i}" for i in range(150)], [f"science{i}" for i in range(150)]]
    y = rng.integers(0, 2, n)
    docs = []
    for label in y:
        length = rng.integers(20, 60)
        n_topic = rng.binomial(length, 0.15)
        words = list(rng.choice(topics[label], n_topic)) + list(
            rng.choice(common, length - n_topic)
        )
        docs.append(" ".join(words))
    return np.array(docs), y


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    docs, y = make_documents(1200, rng)
    table = rng.normal(size=(len(y), 5)) + 0.5 * y[:, None]
    tr, te = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0, stratify=y)

    vectorizer = TfidfVectorizer().fit(docs[tr])
    text_tr, text_te = vectorizer.transform(docs[tr]), vectorizer.transform(docs[te])
    print(f"text modality: {type(text_tr).__name__} of shape {text_tr.shape}, "
          f"{text_tr.nnz / np.prod(text_tr.shape):.1%} nonzero")

    X_tr = Modalities({"text": text_tr, "table": table[tr]})
    X_te = Modalities({"text": text_te, "table": table[te]})
    clf = OMIBClassifier(n_estimators=1, max_epochs=15, lr=1e-3, encoder_hidden=(64,),
                         embedding_dim=64, random_state=0)
    clf.fit(X_tr, y[tr])
    print(f"OMIBClassifier (beta = {clf.beta_:.3g}): test accuracy "
          f"{clf.score(X_te, y[te]):.3f}")
    print(f"  without the text modality: {clf.score({'table': table[te]}, y[te]):.3f}")
    for name, Xa, Xb in [("text", text_tr, text_te), ("table", table[tr], table[te])]:
        lr = LogisticRegression(max_iter=1000).fit(Xa, y[tr])
        print(f"logistic regression on {name} alone: {lr.score(Xb, y[te]):.3f}")


if __name__ == "__main__":
    main()
