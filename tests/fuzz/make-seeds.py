#!/usr/bin/env python3
"""make-seeds.py: writes the seed corpora in corpus/<harness>/ (committed;
run again only to change them). Small valid inputs of each format plus a few
edge cases; libFuzzer mutates from there. Standard library only. The JPEG
and TIFF seeds were saved once with gdk_pixbuf_save and are kept as they are.
"""
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def put(harness, name, data):
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, bytes)."""
    header, blob = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + blob


def f32(*v):
    return struct.pack("<%df" % len(v), *v)


# --- safetensors and model files ----------------------------------------
st = {
    "f32": safetensors([("a", "F32", [2, 3], f32(1, 2, 3, 4, 5, 6))],
                       {"arch": "gabn-s", "groups": "[\"A\",\"B\"]"}),
    "dtypes": safetensors([
        ("h", "F16", [2], struct.pack("<2e", 1.5, -2.0)),
        ("b", "BF16", [1], b"\x80\x3f"),
        ("d", "F64", [1], struct.pack("<d", 3.25)),
        ("l", "I64", [2], struct.pack("<2q", -1, 7)),
        ("i", "I32", [1, 1], struct.pack("<i", 9)),
        ("s", "F32", [], f32(0.5)),
        ("z", "F32", [0, 4], b""),
    ]),
    "empty": safetensors([]),
    "bad-dtype": safetensors([("x", "U8", [1], b"\x01")]),
}
for name, data in st.items():
    put("safetensors", name + ".safetensors", data)

# Names that make the loader infer an architecture, with wrong shapes.
put("model-file", "gabn-s-names.safetensors", safetensors([
    ("backbone.0.weight", "F32", [1, 3, 1, 1], f32(1, 2, 3)),
    ("head.1.weight", "F32", [1], f32(1)),
]))
put("model-file", "iresnet-names.safetensors", safetensors([
    ("layer1.0.conv1.weight", "F32", [1], f32(1)),
    ("layer3.0.bn1.weight", "F32", [1], f32(1)),
    ("layer3.1.bn1.weight", "F32", [1], f32(1)),
]))
put("model-file", "arch-metadata.safetensors", safetensors(
    [("arcface.weight", "F32", [2, 2], f32(1, 0, 0, 1))], {"arch": "gabn-s"}))
put("model-file", "arch-unknown.safetensors", safetensors(
    [("arcface.weight", "F32", [4], f32(1, 0, 0, 1))], {"arch": "resnet9000"}))
put("model-file", "no-arch.safetensors", st["f32"][:8] + b"{}      ")

# --- pairs.tsv (fixture: G0,G1 / id0..id2 / 1.jpg,2.jpg) ----------------
put("pairs-tsv", "basic.tsv",
    "G0/id0/1.jpg\tG0/id0/2.jpg\t1\n"
    "G0/id0/1.jpg\tG0/id1/1.jpg\t0\n"
    "G1/id2/1.jpg\tG1/id2/2.jpg\t1\n")
put("pairs-tsv", "header-folds.tsv",
    "path1\tpath2\tsame\tfold\r\n"
    "# a comment\n"
    "G0/id0/1.jpg\tG0/id0/2.jpg\t1\t1\n"
    "G1/id0/1.jpg\tG1/id1/2.jpg\t0\t10\n"
    "\n"
    "G1/id1/1.jpg\tG1/id1/2.jpg\t1\t11\n")
put("pairs-tsv", "errors.tsv",
    "G0/id0/1.jpg\tG0/id0/1.jpg\t1\n"
    "G0/id0/1.jpg\tG0/id1/2.jpg\t1\n"
    "G0/id0/1.jpg\tnothing.jpg\t0\n"
    "G0/id0/1.jpg\t\t0\n"
    "../G0/id0/1.jpg\t/G0/id1/2.jpg\t0\n"
    "G0/id0/1.jpg\tG0/id0/2.jpg\t1\n"
    "G0/id0/2.jpg\tG0/id0/1.jpg\t1\n"
    "one field\n")

# --- RFW pairs (fixture: African/Asian / m.01,m.02 / _0001.._0003) ----
put("rfw-pairs", "basic.txt",
    "10 300\n"
    "m.01\t1\t2\n"
    "m.01\t1\tm.02\t3\n")
put("rfw-pairs", "errors.txt",
    "m.01 1 1\n"
    "m.01 1 m.01 2\n"
    "m.02 x 2\n"
    "m.02 1 99\n"
    "m.01  2   3\n"
    "m.01 2 3\n"
    "a b c d e\n"
    "-1 2147483648\n")
put("rfw-pairs", "header-small.txt", "2 1\nm.01 1 2\nm.02 1 2\nm.01 3 m.02 3\n")

# --- FairFace CSV (fixture: train/1.jpg..4.jpg) -------------------------
put("fairface-csv", "basic.csv",
    "file,age,gender,race,service_test\n"
    "train/1.jpg,50-59,Male,East Asian,True\n"
    "train/2.jpg,more than 70,Female,Latino_Hispanic,False\n"
    "train/3.jpg,3-9,Female,Black,False\n")
put("fairface-csv", "quoted.csv",
    "race,\"file\",gender,age\r\n"
    "\"Middle \"\"Eastern\"\"\",train/4.jpg,male,0-2\n"
    ",train/1.jpg,Male,20-29\n"
    "White,train/1.jpg,Male,20-29\n"
    "White,train/1.jpg,Male,20-29\n"
    "White,train/9.jpg,Male,20-29\n"
    "White,train/2.jpg\n")
put("fairface-csv", "no-column.csv", "file,age,gender\ntrain/1.jpg,1,Male\n")

# --- UTKFace names ------------------------------------------------------
put("utkface-names", "basic.txt",
    "20_0_1_20170116174525125.jpg.chip.jpg\n"
    "35_1_0_20170117120001234.jpg\n"
    "1_0_4_20161219140000001.jpg\n")
put("utkface-names", "odd.txt",
    "39_1_20170116174525125.jpg.chip.jpg\n"
    "61_1_20170109150557335.jpg.chip.jpg\n"
    "20_2_1_20170116174525125.jpg\n"
    "20_0_9_20170116174525125.jpg\n"
    "99999999999999999999_0_1_2.jpg\n"
    "readme.txt\n"
    "_0_1_2.png\n")

# --- images -------------------------------------------------------------


def png(w, h, colour_type, rows):
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


put("image", "rgb-3x2.png", png(3, 2, 2, [bytes(range(9)), bytes(range(9, 18))]))
put("image", "grey-2x2.png", png(2, 2, 0, [b"\x00\xff", b"\x80\x40"]))
put("image", "rgba-1x1.png", png(1, 1, 6, [b"\x10\x20\x30\x40"]))
put("image", "grey.pgm", b"P5\n2 2\n255\n\x00\x40\x80\xff")
put("image", "rgb.ppm", b"P3\n2 1\n255\n255 0 0  0 0 255\n")
bmp_pixels = b"\x00\x00\xff\x00\xff\x00\x00\x00"  # 2×1, BGR + row padding
put("image", "rgb-2x1.bmp",
    b"BM" + struct.pack("<IHHI", 14 + 40 + len(bmp_pixels), 0, 0, 54)
    + struct.pack("<IiiHHIIiiII", 40, 2, 1, 1, 24, 0, len(bmp_pixels), 2835, 2835, 0, 0)
    + bmp_pixels)
put("image", "1x1.gif",
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\x00\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
put("image", "2x2.xpm",
    "/* XPM */\nstatic char *x[] = {\"2 2 2 1\", \"a c #ff0000\", \"b c #0000ff\", \"ab\", \"ba\"};\n")
put("image", "4x3.svg",
    "<svg xmlns='http://www.w3.org/2000/svg' width='4' height='3'>"
    "<rect width='4' height='3' fill='#c08040'/></svg>\n")
put("image", "truncated.png", png(3, 2, 2, [bytes(9), bytes(9)])[:40])


# The model importers: the committed reference fixtures (written by
# python3-torch, tests/reference/) as they are, and the pickles inside the
# checkpoints (corpus/pth/small-state-dict.pth was saved once with
# torch.save and is kept as it is). The TF.js seeds are made here: a tiny
# manifest, one whose shard path leaves the folder, and face-api's manifest
# of dlib's ResNet (names, shapes, quantization) pointing at the harness's
# fixed shard.
import glob
import gzip
import io
import zipfile

FIXTURES = os.path.join(HERE, "..", "reference", "fixtures")


def fixture_bytes(path):
    data = open(path, "rb").read()
    while data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


for path in sorted(glob.glob(os.path.join(FIXTURES, "onnx-*.onnx"))):
    if os.path.getsize(path) <= 64 * 1024:
        put("onnx", os.path.basename(path), fixture_bytes(path))
for path in sorted(glob.glob(os.path.join(FIXTURES, "pth", "*.pth*"))):
    data = fixture_bytes(path)
    name = os.path.basename(path).split(".pth")[0] + ".pth"
    if len(data) <= 128 * 1024:
        put("pth", name, data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for member in z.namelist():
                if member.endswith("data.pkl"):
                    put("pickle", name.replace(".pth", ".pkl"), z.read(member))
    except zipfile.BadZipFile:
        pass


def tfjs_manifest(weights):
    return json.dumps([{"paths": ["shard.bin"], "weights": weights}], indent=1)


put("tfjs", "tiny-weights_manifest.json", tfjs_manifest([
    {"name": "conv32_down/conv/filters", "shape": [7, 7, 3, 32], "dtype": "float32"},
    {"name": "conv32_down/conv/bias", "shape": [32], "dtype": "float32",
     "quantization": {"dtype": "uint8", "scale": 0.001, "min": -0.1}},
]))
put("tfjs", "escape-weights_manifest.json",
    json.dumps([{"paths": ["../shard.bin"], "weights": []}]))
DLIB = os.environ.get("GABN_DLIB_MANIFEST") or os.path.join(HERE, "..", "..", "_build", "models", "dlib-resnet",
                    "face_recognition_model-weights_manifest.json")
if os.path.exists(DLIB):
    groups = json.load(open(DLIB))
    for g in groups:
        g["paths"] = ["shard.bin"]
    put("tfjs", "dlib-layout-weights_manifest.json", json.dumps(groups))
