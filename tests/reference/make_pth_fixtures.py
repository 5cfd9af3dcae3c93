#!/usr/bin/python3
"""Writes the PyTorch checkpoint fixtures of tests/engine/test-pth.c with
Debian's python3-torch:  /usr/bin/python3 tests/reference/make_pth_fixtures.py

Real torch.save files, each gzipped as it is (twice; the test unzips it to
a temporary folder first) with, beside it, <name>.expected.safetensors: the
values torch.load reads back, per tensor "t.<name>" (float32; every element
up to 32, else the 32 elements (k * 2654435761 + 12345) mod numel, k < 32)
and "s.<name>" (float64 checksums of every element, see checksums), and
"embeddings": the eval-mode float32 embeddings PyTorch computes from the
loaded checkpoint for 2 fixture images (seed SEED).

The weights follow gabn_torch_models' fixture rule, except that u is
rounded to 1/64 and each tensor repeats its first PERIOD values: gzip then
stores iresnet18's 96 MB state_dict in tens of KB. PERIOD is prime, so a
misplaced element (a wrong stride or offset) still reads a different value.

  gabn-s.pth             gabn-s state_dict, 10 class centres, float32
  iresnet18.pth          arcface_torch-style backbone state_dict (no centres)
  gabn-s-module.pth      {"epoch", "state_dict": {"module.<name>": ...},
                          "optimizer": SGD's state_dict} (DataParallel names,
                          lists, floats, None, int keys around the tensors),
                          plus a tensor of another module (aux_head: ignored)
  gabn-s-half.pth        float16 (num_batches_tracked int64), pickle protocol 4
  gabn-s-strided.pth     views: head.1.weight a transpose, backbone.0.weight
                          a permutation, BatchNorm weight and bias two rows of
                          one storage (a storage offset), nn.Parameter
                          entries, bfloat16 and float64 tensors

  gabn-s-deeper.pth      gabn-s plus backbone.21.weight: a larger network,
                          refused (no expected file)

Files that must be refused (not gzipped, a few hundred bytes each):
  evil-global.pth        torch.save of an object whose __reduce__ is
                          os.system("touch /tmp/gabn-pth-evil-ran")
  evil-opcode.pth        a data.pkl with INST, an object-building opcode
  unknown-opcode.pth     a data.pkl with the byte 0xff as an opcode
  legacy.pth             torch.save(..., _use_new_zipfile_serialization=False)
  truncated.pth          the first half of a torch.save zip
  no-data-pkl.pth        a zip without data.pkl
  view-past-storage.pth  a tensor whose strides reach past its storage
  storage-past-record.pth  a storage claiming more elements than its record holds
  shape-overflow.pth     a shape whose product overflows 64 bits
  missing-record.pth     a storage whose record is absent
The last four are written by a small pickle assembler below; its
consistent variant (view-ok.pth) is checked to load in torch, so the hostile
ones differ from a real checkpoint by one number each.
"""
import gzip
import io
import os
import pickle
import struct
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gabn_torch_models as gtm  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "pth")
PERIOD = 97
LEVELS = 64
SEED = 5
BATCH = 2
SAMPLES = 32


def periodic_init_(model, seed):
    """The fixture rule with u rounded to multiples of 1/LEVELS, each tensor
    repeating its first PERIOD values."""
    with torch.no_grad():
        for t, (name, tensor) in enumerate(model.state_dict().items()):
            n = tensor.numel()
            u = np.round(gtm.fixture_uniform(seed, t, min(n, PERIOD)) * LEVELS) / LEVELS
            u = np.resize(u, n)
            value = gtm.fixture_value(name, tuple(tensor.shape), u).reshape(tuple(tensor.shape))
            tensor.copy_(torch.from_numpy(value.astype(np.float32)).to(tensor.dtype))
    return model


def sample_indices(numel):
    if numel <= SAMPLES:
        return np.arange(numel)
    k = np.arange(SAMPLES, dtype=np.int64)
    return (k * 2654435761 + 12345) % numel


def checksums(flat):
    """[sum x_i, sum x_i * (1 + (i mod 13))] in float64: any misplaced or
    wrong element of the whole tensor changes the second."""
    w = 1.0 + (torch.arange(flat.numel(), dtype=torch.int64) % 13).to(torch.float64)
    return torch.stack([flat.sum(), (flat * w).sum()])


def gz(raw):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:
        f.write(raw)
    return buf.getvalue()


def write_gz(name, raw):
    """Gzipped twice: deflate's matches are at most 258 bytes long, so its
    output of a repetitive file is itself repetitive and shrinks again."""
    with open(os.path.join(OUT, name + ".gz.gz"), "wb") as f:
        f.write(gz(gz(raw)))


def strip_state_dict(obj):
    """The state_dict inside a checkpoint object, names as the engine sees them."""
    if isinstance(obj, dict) and "state_dict" in obj:
        obj = obj["state_dict"]
    return OrderedDict((k[len("module."):] if k.startswith("module.") else k, v)
                       for k, v in obj.items())


def save_fixture(name, arch, obj, n_classes, **save_args):
    """torch.save(obj) as <name>.pth.gz, then torch.load it back and store
    what it reads and the embeddings PyTorch computes from it."""
    buf = io.BytesIO()
    torch.save(obj, buf, **save_args)
    raw = buf.getvalue()
    write_gz(name + ".pth", raw)

    loaded = strip_state_dict(torch.load(io.BytesIO(raw)))
    expected = OrderedDict()
    for key, t in loaded.items():
        flat = t.detach().reshape(-1).to(torch.float64)
        expected["t." + key] = flat[torch.from_numpy(sample_indices(flat.numel()))].float()
        expected["s." + key] = checksums(flat)
    model = gtm.build(arch, n_classes)
    model.load_state_dict(OrderedDict((k, v.detach().to(model.state_dict()[k].dtype))
                                      for k, v in loaded.items() if k in model.state_dict()))
    model.float().eval()
    with torch.no_grad():
        x = gtm.fixture_input(SEED, BATCH, model.input_size)
        expected["embeddings"] = model(x).float()
    gtm.save_safetensors(os.path.join(OUT, name + ".expected.safetensors"), expected,
                         {"arch": arch, "seed": SEED, "batch": BATCH, "tensors": len(loaded),
                          "torch": torch.__version__, "bytes": len(raw)})
    print("%-18s %9d bytes, %d tensors, gzipped %d" % (
        name, len(raw), len(loaded), os.path.getsize(os.path.join(OUT, name + ".pth.gz.gz"))))


def state(arch, n_classes):
    return periodic_init_(gtm.build(arch, n_classes), SEED).state_dict()


def strided_state():
    """gabn-s with views and mixed dtypes; values as in state("gabn-s")."""
    sd = OrderedDict((k, v.clone()) for k, v in state("gabn-s", 10).items())
    w = sd["head.1.weight"]                                  # 128 x 16384
    sd["head.1.weight"] = w.t().contiguous().t()             # strides (1, 128)
    c = sd["backbone.0.weight"]                              # 32 x 3 x 3 x 3
    sd["backbone.0.weight"] = c.permute(2, 3, 0, 1).contiguous().permute(2, 3, 0, 1)
    rows = torch.stack([sd["backbone.1.weight"], sd["backbone.1.bias"]])
    sd["backbone.1.weight"], sd["backbone.1.bias"] = rows[0], rows[1]   # offset 32
    sd["backbone.3.weight"] = sd["backbone.3.weight"].bfloat16()
    sd["head.2.running_var"] = sd["head.2.running_var"].double()
    sd["head.2.weight"] = torch.nn.Parameter(sd["head.2.weight"])
    sd["arcface.weight"] = torch.nn.Parameter(sd["arcface.weight"].double(), requires_grad=False)
    assert not sd["head.1.weight"].is_contiguous() and not sd["backbone.0.weight"].is_contiguous()
    assert sd["backbone.1.bias"].storage_offset() == 32
    return sd


# ---- Files to refuse ----------------------------------------------------

class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/gabn-pth-evil-ran",))


def zip_with(name, records):
    """A zip laid out as torch.save's: <archive>/<record> entries, stored."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for rec, data in records.items():
            z.writestr(zipfile.ZipInfo(name + "/" + rec, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def p_str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def p_int(i):
    if 0 <= i < 256:
        return b"K" + bytes([i])
    if -2**31 <= i < 2**31:
        return b"J" + struct.pack("<i", i)
    return b"\x8a\x08" + struct.pack("<q", i)


def p_tuple(items):
    return b"(" + b"".join(items) + b"t"


def tensor_pickle(numel, offset, shape, stride, key="0"):
    """data.pkl of {"w": _rebuild_tensor_v2(storage, offset, shape, stride,
    False, OrderedDict())}, as torch.save's protocol 2 writes it."""
    pid = p_tuple([p_str("storage"), b"ctorch\nFloatStorage\n", p_str(key), p_str("cpu"),
                   p_int(numel)])
    args = p_tuple([pid + b"Q", p_int(offset), p_tuple(p_int(s) for s in shape),
                    p_tuple(p_int(s) for s in stride), b"\x89",
                    b"ccollections\nOrderedDict\n)R"])
    return (b"\x80\x02ccollections\nOrderedDict\n)R(" + p_str("w")
            + b"ctorch._utils\n_rebuild_tensor_v2\n" + args + b"Ru.")


def view_file(name, numel, offset, shape, stride, record_bytes, key="0"):
    records = {"data.pkl": tensor_pickle(numel, offset, shape, stride, key), "version": b"3\n"}
    if record_bytes is not None:
        records["data/0"] = record_bytes
    raw = zip_with(name, records)
    with open(os.path.join(OUT, name + ".pth"), "wb") as f:
        f.write(raw)
    return raw


def make_refused():
    buf = io.BytesIO()
    torch.save({"weight": torch.zeros(2), "payload": Evil()}, buf)
    with open(os.path.join(OUT, "evil-global.pth"), "wb") as f:
        f.write(buf.getvalue())
    assert b"posix" in buf.getvalue() or b"os\n" in buf.getvalue()

    inst = b"\x80\x02(X\x02\x00\x00\x00lsios\nsystem\n."
    with open(os.path.join(OUT, "evil-opcode.pth"), "wb") as f:
        f.write(zip_with("evil-opcode", {"data.pkl": inst, "version": b"3\n"}))
    with open(os.path.join(OUT, "unknown-opcode.pth"), "wb") as f:
        f.write(zip_with("unknown-opcode", {"data.pkl": b"\x80\x02}\xff.", "version": b"3\n"}))

    small = OrderedDict(w=torch.arange(4, dtype=torch.float32))
    buf = io.BytesIO()
    torch.save(small, buf, _use_new_zipfile_serialization=False)
    with open(os.path.join(OUT, "legacy.pth"), "wb") as f:
        f.write(buf.getvalue())
    buf = io.BytesIO()
    torch.save(small, buf)
    with open(os.path.join(OUT, "truncated.pth"), "wb") as f:
        f.write(buf.getvalue()[: len(buf.getvalue()) // 2])
    with open(os.path.join(OUT, "no-data-pkl.pth"), "wb") as f:
        f.write(zip_with("no-data-pkl", {"version": b"3\n", "data/0": b"\0" * 16}))

    floats = np.arange(12, dtype="<f4").tobytes()
    raw = view_file("view-ok", 12, 2, (2, 3), (1, 2), floats)
    t = torch.load(io.BytesIO(raw))["w"]                     # the assembler is right
    assert t.tolist() == [[2.0, 4.0, 6.0], [3.0, 5.0, 7.0]], t
    os.remove(os.path.join(OUT, "view-ok.pth"))
    view_file("view-past-storage", 12, 2, (2, 6), (1, 2), floats)   # reaches element 13
    view_file("storage-past-record", 1000, 0, (2, 3), (3, 1), floats)
    view_file("shape-overflow", 12, 0, (2**40, 2**40), (0, 0), floats)
    view_file("missing-record", 12, 0, (2, 3), (3, 1), None)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    save_fixture("gabn-s", "gabn-s", state("gabn-s", 10), 10)
    save_fixture("iresnet18", "iresnet18", state("iresnet18", 0), 0)
    sd = state("gabn-s", 10)
    params = [v for k, v in sd.items() if v.is_floating_point()]
    opt = torch.optim.SGD([torch.nn.Parameter(p) for p in params], lr=0.1, momentum=0.9,
                          weight_decay=5e-4)
    wrapped = OrderedDict(("module." + k, v) for k, v in sd.items())
    wrapped["module.aux_head.weight"] = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    save_fixture("gabn-s-module", "gabn-s",
                 {"epoch": 3, "state_dict": wrapped, "optimizer": opt.state_dict(), "note": None}, 10)
    half = OrderedDict((k, v.half() if v.is_floating_point() else v)
                       for k, v in state("gabn-s", 10).items())
    save_fixture("gabn-s-half", "gabn-s", half, 10, pickle_protocol=4)
    save_fixture("gabn-s-strided", "gabn-s", strided_state(), 10)
    deeper = state("gabn-s", 10)
    deeper["backbone.21.weight"] = torch.ones(4)
    buf = io.BytesIO()
    torch.save(deeper, buf)
    write_gz("gabn-s-deeper.pth", buf.getvalue())
    make_refused()


if __name__ == "__main__":
    main()
