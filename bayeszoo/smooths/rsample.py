"""R's ``set.seed(seed); sample(n, size)`` (R >= 3.6 defaults), for mgcv's knot subsample.

mgcv's thin plate constructor keeps ``max.knots`` (2000) of the unique covariate rows when there
are more, drawn by ``sample(1:nu, max.knots)`` after ``set.seed(xt$seed)`` (default 1) in a
temporary RNG state. Re-implemented from R's ``src/main/RNG.c`` and ``src/main/random.c``:

* ``set.seed``: the seed is scrambled by 50 steps of ``s <- 69069 s + 1`` (mod 2^32), then 625
  further steps fill ``dummy[0]`` and the Mersenne-Twister state ``mt[0..623]``; the position is
  set to 624 so that the first draw regenerates the state;
* ``unif_rand``: MT19937's 32-bit output times ``2^-32`` (Python's ``random`` module runs the
  same generator, so its state is loaded directly);
* ``R_unif_index(n)`` ("Rejection" sampling): ``bits = ceil(log2 n)``; draw ``rbits(bits)``
  (16 bits per ``floor(unif_rand() * 65536)``, masked) until it is below ``n``;
* ``sample`` without replacement: a partial Fisher-Yates shuffle of ``0..n-1``.
"""

from __future__ import annotations

import math
import random

import numpy as np

MASK32 = 0xFFFFFFFF


def r_set_seed(seed: int) -> random.Random:
    """A Mersenne-Twister generator in the state R's ``set.seed(seed)`` leaves."""
    s = int(seed) & MASK32
    for _ in range(50):
        s = (69069 * s + 1) & MASK32
    values = []
    for _ in range(625):
        s = (69069 * s + 1) & MASK32
        values.append(s)
    gen = random.Random()
    gen.setstate((3, tuple(values[1:]) + (624,), None))
    return gen


def r_unif_rand(gen: random.Random) -> float:
    """R's ``unif_rand()`` for the Mersenne-Twister (values in (0, 1))."""
    value = gen.getrandbits(32) * 2.3283064365386963e-10
    if value <= 0.0:
        return 0.5 * 2.328306437080797e-10
    if 1.0 - value <= 0.0:
        return 1.0 - 0.5 * 2.328306437080797e-10
    return value


def r_unif_index(gen: random.Random, n: int) -> int:
    """R's ``R_unif_index(n)`` with ``sample.kind = "Rejection"``."""
    if n <= 0:
        return 0
    bits = math.ceil(math.log2(n))
    while True:
        v = 0
        for _ in range(0, bits + 1, 16):
            v = 65536 * v + math.floor(r_unif_rand(gen) * 65536)
        v &= (1 << bits) - 1
        if v < n:
            return v


def r_sample(n: int, size: int, seed: int) -> np.ndarray:
    """``set.seed(seed); sample(n, size)`` minus one (0-based indices, in R's draw order)."""
    gen = r_set_seed(seed)
    pool = list(range(n))
    out = np.empty(size, dtype=int)
    remaining = n
    for i in range(size):
        j = r_unif_index(gen, remaining)
        out[i] = pool[j]
        remaining -= 1
        pool[j] = pool[remaining]
    return out


def r_as_character(x: float) -> str:
    """R's ``as.character()`` of a double: 15 significant digits, fixed notation unless the
    scientific one is narrower (``formatReal`` with ``scipen = 0``)."""
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Inf" if x > 0 else "-Inf")
    neg = 1 if x < 0 else 0
    mantissa, exponent = f"{abs(x):.14e}".split("e")
    kpower = int(exponent)
    nsig = len(mantissa.replace(".", "").rstrip("0")) or 1
    left = kpower + 1
    sleft = neg + (1 if left <= 0 else left)
    rgt = max(0, nsig - left)
    fixed_width = sleft + rgt + (1 if rgt else 0)
    e_digits = 2 if abs(kpower) >= 100 else 1
    sci_width = neg + (1 if nsig > 1 else 0) + (nsig - 1) + 4 + e_digits
    if fixed_width <= sci_width:
        return f"{x:.{rgt}f}"
    return f"{x:.{nsig - 1}e}"


def mgcv_unique_rows(x: np.ndarray) -> np.ndarray:
    """mgcv's ``uniquecombs(x, ordered = TRUE)``: one column -> sorted unique values; several ->
    rows made unique and ordered by their text (``paste0(x1, "*", x2, ...)``, C collation)."""
    if x.shape[1] == 1:
        return np.unique(x[:, 0])[:, None]
    text = ["*".join(r_as_character(float(v)) for v in row) for row in x]
    first: dict[str, int] = {}
    for i, t in enumerate(text):
        first.setdefault(t, i)
    keys = sorted(first)
    return x[[first[t] for t in keys]]
