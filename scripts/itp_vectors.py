#!/usr/bin/env python3
"""Generates tests/data/colour/itp.json: ICtCp (ITU-R BT.2100, PQ) and delta E ITP (ITU-R BT.2124)
from colour-science, for `cargo test --lib colour::vectors::itp`.

The expected values come from colour-science, never from Parallax, so that the Rust test checks
`parallax::colour::itp` against an independent implementation.

    python3 -m pip install colour-science numpy
    python3 scripts/itp_vectors.py

Colours are absolute linear Rec.2020 RGB in nits (cd/m^2), which is what colour-science's
`RGB_to_ICtCp` takes (its ST 2084 is absolute, L_p = 10000). Pairs: a colour and a slightly changed
copy (small differences, around one JND), and unrelated colours (large differences), from a fixed
seed. CI does not run this script: the generated file is committed.
"""

import json
import os

import numpy as np
import colour

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "data", "colour", "itp.json")
RNG = np.random.default_rng(20190201)
METHOD = "ITU-R BT.2100-2 PQ"


def g9(a):
    """Rounded to 9 significant digits, as nested lists."""
    return [[float("%.9g" % v) for v in row] for row in np.asarray(a, dtype=np.float64).reshape(-1, 3)]


def main():
    n = 200
    # Per channel log-uniform 0.001 .. 5000 nits, some channels 0 (saturated colours).
    a = 10 ** RNG.uniform(-3, np.log10(5000), size=(2 * n, 3))
    a[RNG.uniform(size=a.shape) < 0.1] = 0.0
    near = a[:n] * (1 + RNG.normal(0, 0.01, size=(n, 3)))
    far = 10 ** RNG.uniform(-3, np.log10(5000), size=(n, 3))
    greys = np.array([[v, v, v] for v in [0.0, 0.1, 1.0, 100.0, 203.0, 1000.0, 10000.0]])
    rgb1 = np.concatenate([a[:n], a[n:], greys])
    rgb2 = np.concatenate([near, far, greys * 1.01])
    # The inputs as written, so that the expected values are those of the stored inputs.
    rgb1, rgb2 = np.array(g9(rgb1)), np.array(g9(rgb2))
    i1 = colour.RGB_to_ICtCp(rgb1, method=METHOD)
    i2 = colour.RGB_to_ICtCp(rgb2, method=METHOD)
    de = colour.difference.delta_E_ITP(i1, i2)
    data = {
        "source": "colour.RGB_to_ICtCp(method='%s', L_p=10000) and colour.difference.delta_E_ITP" % METHOD,
        "units": "rgb: absolute linear Rec.2020 in cd/m^2",
        "rgb1": g9(rgb1),
        "rgb2": g9(rgb2),
        "ictcp1": [[float("%.12g" % v) for v in row] for row in i1],
        "ictcp2": [[float("%.12g" % v) for v in row] for row in i2],
        "delta_e_itp": [float("%.12g" % v) for v in de],
        "generated_by": "scripts/itp_vectors.py",
        "versions": {"colour-science": colour.__version__, "numpy": np.__version__},
    }
    with open(OUT, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    print("wrote %s: %d pairs, delta E ITP %.3g .. %.3g" % (OUT, len(de), de.min(), de.max()))


if __name__ == "__main__":
    main()
