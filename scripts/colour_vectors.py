#!/usr/bin/env python3
"""Generates the colour test vectors under tests/data/colour/ from OpenColorIO and colour-science.

The expected values come from those libraries, never from Parallax, so that the Rust tests
(`cargo test --lib colour::vectors`) check the Rust colour maths against independent implementations.

    python3 -m pip install opencolorio colour-science numpy
    python3 scripts/colour_vectors.py

Random colours use a fixed seed, so running it again gives the same files (up to the libraries'
versions, recorded in each file). CI does not run this script: the generated files are committed.
"""

import json
import os
import sys

import numpy as np
import PyOpenColorIO as ocio
import colour

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "data", "colour")
RNG = np.random.default_rng(20261130)
CFG = ocio.Config.CreateRaw()
VERSIONS = {"opencolorio": ocio.__version__, "colour-science": colour.__version__}


def r7(a):
    """Nested lists rounded to 7 significant digits (compact JSON)."""
    return [[float("%.7g" % v) for v in row] for row in np.asarray(a, dtype=np.float64).reshape(-1, 3)]


def ocio_apply(transform, rgb):
    """Applies an OCIO transform with its CPU processor (float32, as OCIO computes)."""
    proc = CFG.getProcessor(transform).getDefaultCPUProcessor()
    px = np.ascontiguousarray(np.asarray(rgb, dtype=np.float32).copy())
    proc.applyRGB(px)
    return px.reshape(-1, 3)


def write(name, data):
    data["generated_by"] = "scripts/colour_vectors.py"
    data["versions"] = VERSIONS
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")


def colours(n, lo, hi):
    return RNG.uniform(lo, hi, size=(n, 3)).astype(np.float32).astype(np.float64)


def pq():
    nits = np.concatenate([[0.0, 0.1, 1.0, 48.0, 100.0, 203.0, 1000.0, 4000.0, 10000.0],
                           10 ** RNG.uniform(-3, 4, 500)])
    code = np.concatenate([[0.0, 0.25, 0.5, 0.75, 1.0], RNG.uniform(0, 1, 500)])
    write("pq.json", {
        "source": "colour.models.eotf_inverse_ST2084 / eotf_ST2084, L_p = 10000 nits",
        "nits": [float("%.9g" % v) for v in nits],
        "encoded": [float("%.9g" % v) for v in colour.models.eotf_inverse_ST2084(nits)],
        "code": [float("%.9g" % v) for v in code],
        "decoded_nits": [float("%.9g" % v) for v in colour.models.eotf_ST2084(code)],
    })


def primaries():
    rgb = np.concatenate([colours(900, 0, 1), colours(100, -0.2, 20)])
    bt709, ap1, bt2020 = (colour.RGB_COLOURSPACES[k] for k in ("ITU-R BT.709", "ACEScg", "ITU-R BT.2020"))

    def cs(src, dst):
        return colour.RGB_to_RGB(rgb, src, dst, chromatic_adaptation_transform="Bradford")

    def builtin(name, inverse=False):
        t = ocio.BuiltinTransform(name)
        if inverse:
            t.setDirection(ocio.TRANSFORM_DIR_INVERSE)
        return ocio_apply(t, rgb)

    write("primaries.json", {
        "source": "OCIO BuiltinTransform ACES-AP1_to_LINEAR-REC709_BFD (and inverse); colour-science "
                  "RGB_to_RGB with Bradford for the Rec.2020 pairs",
        "rgb": r7(rgb),
        "conversions": {
            "acescg_to_rec709": r7(builtin("UTILITY - ACES-AP1_to_LINEAR-REC709_BFD")),
            "rec709_to_acescg": r7(builtin("UTILITY - ACES-AP1_to_LINEAR-REC709_BFD", inverse=True)),
            "rec709_to_rec2020": r7(cs(bt709, bt2020)),
            "rec2020_to_rec709": r7(cs(bt2020, bt709)),
            "acescg_to_rec2020": r7(cs(ap1, bt2020)),
            "rec2020_to_acescg": r7(cs(bt2020, ap1)),
        },
    })


CDL_SETS = [
    {"slope": [1.2, 0.95, 0.9], "offset": [0.01, -0.02, 0.03], "power": [1.1, 0.9, 1.0], "saturation": 1.2},
    {"slope": [0.8, 1.0, 1.3], "offset": [-0.05, 0.0, 0.02], "power": [0.8, 1.25, 1.05], "saturation": 0.6},
    {"slope": [1.0, 1.0, 1.0], "offset": [0.0, 0.0, 0.0], "power": [2.2, 2.2, 2.2], "saturation": 1.0},
    {"slope": [2.0, 1.5, 0.5], "offset": [0.1, -0.1, 0.0], "power": [1.0, 1.0, 1.0], "saturation": 0.0},
]


def cdl():
    rgb = np.concatenate([colours(560, 0, 1), colours(140, -0.3, 4)])
    cases = []
    for p in CDL_SETS:
        for style, name in ((ocio.CDL_NO_CLAMP, "NoClamp"), (ocio.CDL_ASC, "Asc")):
            t = ocio.CDLTransform()
            t.setStyle(style)
            t.setSlope(p["slope"])
            t.setOffset(p["offset"])
            t.setPower(p["power"])
            t.setSat(p["saturation"])
            cases.append(dict(p, style=name, out=r7(ocio_apply(t, rgb))))
    write("cdl.json", {"source": "OCIO CDLTransform (CPU processor)", "rgb": r7(rgb), "cases": cases})


def white_balance():
    rgb = colours(300, 0, 2)
    cases = []
    for space in ("ITU-R BT.709", "ACEScg"):
        cs = colour.RGB_COLOURSPACES[space]
        for kelvin in (4000.0, 4500.0, 5600.0, 8000.0, 12000.0):
            src = colour.xy_to_XYZ(colour.temperature.CCT_to_xy_CIE_D(kelvin))
            dst = colour.xy_to_XYZ(cs.whitepoint)
            cat = colour.adaptation.matrix_chromatic_adaptation_VonKries(src, dst, transform="Bradford")
            m = np.linalg.inv(cs.matrix_RGB_to_XYZ) @ cat @ cs.matrix_RGB_to_XYZ
            out = rgb @ m.T
            cases.append({"space": "Rec709" if "709" in space else "AcesCg", "kelvin": kelvin, "out": r7(out)})
    write("white_balance.json", {
        "source": "colour-science CCT_to_xy_CIE_D + matrix_chromatic_adaptation_VonKries(Bradford)",
        "rgb": r7(rgb), "cases": cases})


def look(c):
    """A smooth, non-separable look for the 3D LUTs (cross-channel mixing, contrast, hue twist)."""
    r, g, b = c[..., 0], c[..., 1], c[..., 2]
    luma = 0.2126 * r + 0.7152 * g + 0.0722 * b
    s = 1.3
    r2, g2, b2 = (luma + s * (x - luma) for x in (r, g, b))
    mix = np.stack([0.9 * r2 + 0.1 * g2, 0.05 * r2 + 0.9 * g2 + 0.05 * b2, 0.1 * g2 + 0.9 * b2 + 0.05 * np.sin(6 * r)], -1)
    return np.clip(mix, 0, None) ** 0.9 * (1.1 - 0.1 * mix) + 0.02 * np.sin(5 * mix[..., ::-1])


def lattice(n, lo=0.0, hi=1.0):
    v = np.linspace(lo, hi, n)
    b, g, r = np.meshgrid(v, v, v, indexing="ij")  # red fastest when flattened
    return np.stack([r, g, b], -1).reshape(-1, 3)


def write_cube(name, lines):
    with open(os.path.join(OUT, name), "w") as f:
        f.write("\n".join(lines) + "\n")
    return os.path.join(OUT, name)


def rows(a, fmt="%.5f"):
    return [" ".join(fmt % v for v in row) for row in a]


def luts():
    files = {}
    files["look33.cube"] = write_cube("look33.cube", [
        "# A non-trivial 33^3 look written by scripts/colour_vectors.py", 'TITLE "Parallax test look 33"',
        "LUT_3D_SIZE 33", ""] + rows(look(lattice(33)), "%.4f"))
    files["domain17.cube"] = write_cube("domain17.cube", [
        'TITLE "Domain -0.25..2"', "LUT_3D_SIZE 17", "DOMAIN_MIN -0.25 -0.25 -0.25", "DOMAIN_MAX 2 2 2",
        "# data, red fastest"] + rows(look(lattice(17, -0.25, 2.0) / 2.0)))
    curve = np.linspace(0, 1, 64)[:, None] ** np.array([0.8, 1.0, 1.25])
    files["curve1d.cube"] = write_cube("curve1d.cube", [
        "# a 1D curve per channel", "LUT_1D_SIZE 64", "DOMAIN_MIN 0 0 0", "DOMAIN_MAX 1 1 1"] + rows(curve, "%.6f"))
    # Resolve-style: a log2 shaper over 0..16 (scene-linear HDR), then a 17^3 table in shaper space.
    sh = np.linspace(0, 16, 1024)
    shaped = np.log2(1 + sh) / np.log2(17)
    inv = lambda y: 2 ** (y * np.log2(17)) - 1
    files["shaper17.cube"] = write_cube("shaper17.cube", [
        "# log2 shaper + 17^3 (OCIO's Resolve reader takes no TITLE)", "LUT_1D_SIZE 1024", "LUT_1D_INPUT_RANGE 0 16", "LUT_3D_SIZE 17",
        "LUT_3D_INPUT_RANGE 0 1"] + rows(np.repeat(shaped[:, None], 3, 1), "%.7f")
        + rows(look(np.clip(inv(lattice(17)) / 4, 0, 1)) * 4))
    rgb = np.concatenate([colours(1350, 0, 1), colours(150, -0.2, 1.2)])
    hdr = np.concatenate([colours(1350, 0, 16), colours(150, -1, 20)])
    cases = []
    for name, path in files.items():
        inputs = "hdr" if name.startswith("shaper") else ("wide" if name.startswith("domain") else "rgb")
        src = hdr if inputs == "hdr" else (rgb * 2.25 - 0.25 if inputs == "wide" else rgb)
        interp = ocio.INTERP_LINEAR if name.startswith("curve1d") else ocio.INTERP_TETRAHEDRAL
        t = ocio.FileTransform(src=path, interpolation=interp)
        out = ocio_apply(t, src)
        tl = ocio.FileTransform(src=path, interpolation=ocio.INTERP_LINEAR)
        cases.append({"file": name, "inputs": inputs, "tetrahedral": r7(out),
                      "linear": r7(ocio_apply(tl, src)) if name == "look33.cube" else None})
    write("lut.json", {"source": "OCIO FileTransform (INTERP_TETRAHEDRAL; INTERP_LINEAR = trilinear)",
                       "rgb": r7(rgb), "hdr": r7(hdr), "wide": r7(rgb * 2.25 - 0.25), "cases": cases})


def main():
    os.makedirs(OUT, exist_ok=True)
    pq()
    primaries()
    cdl()
    white_balance()
    luts()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {OUT}: {total / 1e6:.2f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
