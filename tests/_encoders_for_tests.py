"""Encoders importable by path, for the tests of model files
(``tests/test_persistence.py``)."""

from torch import nn


class TinyCNN(nn.Module):
    """A 3x3 convolution, a 2x2 max-pooling and a linear map to the
    embedding, for rows of shape (channels, height, width)."""

    def __init__(self, input_shape, embedding_dim, width=4, pool=(2, 2), activation=nn.GELU):
        super().__init__()
        channels, height, width_px = input_shape
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), activation(), nn.MaxPool2d(pool),
            nn.Flatten(),
        )
        n_features = width * (height // pool[0]) * (width_px // pool[1])
        self.out = nn.Sequential(nn.Linear(n_features, embedding_dim), nn.GELU())

    def forward(self, x):
        return self.out(self.features(x))


def flat_encoder(input_shape, embedding_dim):
    """A factory function: flatten, then one linear layer with a GELU."""
    n_features = 1
    for size in input_shape:
        n_features *= size
    return nn.Sequential(nn.Flatten(), nn.Linear(n_features, embedding_dim), nn.GELU())
