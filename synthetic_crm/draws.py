"""Random streams and the small draws every table is made of."""

from __future__ import annotations

import numpy as np


def stream_rng(seed: int, tag: tuple[int, ...], stream: str) -> np.random.Generator:
    """An independent random stream per (seed, tag, name): changing one table's model, or one
    day's logs, leaves the others' draws as they were."""
    salt = int.from_bytes(stream.encode()[:8].ljust(8, b"\0"), "little")
    return np.random.default_rng(np.random.SeedSequence([seed, salt, *tag]))


def choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def maybe(rng: np.random.Generator, p: float, n: int) -> np.ndarray:
    return rng.random(n) < p


def round2(x: np.ndarray) -> np.ndarray:
    return np.round(x, 2)
