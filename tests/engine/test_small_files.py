"""Small files must not take large memory before they are refused: what an ``.npz`` member's ``.npy`` header and the
labels say is checked before the images are decompressed, an image's size from its header before it is decoded.

Each reader runs in a fresh interpreter whose own peak resident memory is measured (``VmHWM``: ``ru_maxrss`` would
start at the test process's size, which Linux hands on through fork and exec), under an address-space limit so
that a regression fails the test instead of swapping the machine."""

from __future__ import annotations

import io
import json
import resource
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.cli import ENV, ROOT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB and RLIMIT_AS: Linux")
LIMIT_AS = 4 * 1024**3   # without the checks these files take 1.5 to 8.8 GB; with them, tens of MB

PEAK = r"""
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""
READER = PEAK + r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from gendisc.engine.errors import GenDiscError
kind, path = sys.argv[2], sys.argv[3]
if kind == "npz":
    from gendisc.engine.data.npz import read_npz as read
else:
    from gendisc.engine.data.image_folder import read_image_folder as read
before = peak_mb()
t0 = time.perf_counter()
try:
    read(path)
    message = None
except GenDiscError as exc:
    message = str(exc)
except MemoryError:
    message = "MemoryError"
print(json.dumps({"message": message, "seconds": time.perf_counter() - t0, "baseline_mb": before,
                  "peak_mb": peak_mb()}))
"""
#: ``python -m gendisc ARGS...``, telling its peak memory (MB) on its way out in the file named first
CLI = PEAK + r"""
import atexit, sys
sys.path.insert(0, sys.argv[1])
report, sys.argv = sys.argv[2], ["gendisc", *sys.argv[3:]]
atexit.register(lambda: open(report, "w").write(str(peak_mb())))
from gendisc.engine.cli import main
sys.exit(main())
"""


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))


def measured(command: list[str], tmp_path: Path) -> tuple[int, str, str, float]:
    """Run ``command`` under the address-space limit; its exit status, stdout, stderr and seconds."""
    t0 = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=ENV, cwd=tmp_path, preexec_fn=limited,
                          timeout=120)
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - t0


def read_in_subprocess(kind: str, path: Path, tmp_path: Path) -> dict[str, object]:
    code, out, err, _ = measured([sys.executable, "-c", READER, str(ROOT), kind, str(path)], tmp_path)
    assert code == 0, err
    return json.loads(out)


def zeros_npz(path: Path, n: int, side: int, labels: np.ndarray) -> Path:
    """``n`` side×side images of zeros (n·side² bytes once decompressed), streamed into the archive, never held."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("images.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array_header_1_0(fh, {"descr": "|u1", "fortran_order": False,
                                                      "shape": (n, side, side)})
            chunk, left = bytes(1 << 24), n * side * side
            while left > 0:
                fh.write(chunk[:min(left, len(chunk))])
                left -= len(chunk)
        buf = io.BytesIO()
        np.save(buf, labels)
        zf.writestr("labels.npy", buf.getvalue())
    return path


def png(path: Path, side: int, color_type: int, bit_depth: int) -> Path:
    """A ``side``×``side`` PNG of zeros, written row by row (7000×7000 RGBA: 196 MB decoded, ~1 MB on disk)."""
    channels = {0: 1, 6: 4}[color_type]
    row = b"\0" * (1 + side * channels * bit_depth // 8)
    z = zlib.compressobj(1)
    idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, bit_depth,
                                                                      color_type, 0, 0, 0))
                     + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def test_an_npz_of_one_class_is_refused_by_train_before_its_900_mb_of_zeros_are_read(tmp_path: Path) -> None:
    """The reproduction: a 4 MB archive (876 KB at zlib's default level) of 900 MB of zeros and one class reached
    8.8 GB in 21 s before "needs at least 2 classes"."""
    bomb = zeros_npz(tmp_path / "zeros.npz", 1_000_000, 30, np.zeros(1_000_000, np.uint8))
    assert bomb.stat().st_size < 8 * 1024**2
    report = tmp_path / "peak.txt"
    code, _, err, seconds = measured([sys.executable, "-c", CLI, str(ROOT), str(report), "train", "cnn",
                                      "--dataset", str(bomb), "--out", str(tmp_path / "run")], tmp_path)
    peak = float(report.read_text())
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 1 and len(lines) == 1 and "the CNN needs at least 2 classes" in lines[0], err
    assert peak < 250, f"{peak:.0f} MB"   # Python, NumPy and 1 MB of labels
    assert seconds < 20
    assert not (tmp_path / "run").exists()
    print(f"one-class npz of 900 MB: refused in {seconds:.2f} s at {peak:.0f} MB peak")


def test_an_npz_whose_labels_cannot_be_right_is_refused_before_its_images_are_decompressed(tmp_path: Path) -> None:
    labels = np.zeros(400_000, np.int64)
    labels[::2] = 999   # classes 1..998 empty: refused from the labels alone
    bomb = zeros_npz(tmp_path / "gaps.npz", 400_000, 30, labels)
    result = read_in_subprocess("npz", bomb, tmp_path)
    message = str(result["message"])
    assert "998 of 1,000 classes have no images (1-998)" in message and len(message) < 400, message
    assert result["peak_mb"] - result["baseline_mb"] < 80, result   # 360 MB of images never decompressed
    assert result["seconds"] < 5
    print(f"npz of 360 MB with gapped labels: refused in {result['seconds']:.2f} s, peak {result['peak_mb']:.0f} "
          f"MB (baseline {result['baseline_mb']:.0f} MB)")


@pytest.mark.parametrize(("name", "color_type", "bit_depth"), [("rgba", 6, 8), ("gray16", 0, 16)])
def test_a_huge_image_in_a_folder_is_refused_from_its_header(name: str, color_type: int, bit_depth: int,
                                                             tmp_path: Path) -> None:
    """A 7000×7000 RGBA PNG reached 2.5 GB, a 16-bit one 1.5 GB, before the size error."""
    folder = tmp_path / "images"
    png(folder / "cats" / "big.png", 7000, color_type, bit_depth)
    png(folder / "dogs" / "small.png", 28, color_type, bit_depth)
    result = read_in_subprocess("images", folder, tmp_path)
    message = str(result["message"])
    assert "is 7000×7000 pixels" in message and "size to resize to" in message, message
    assert result["peak_mb"] - result["baseline_mb"] < 80, result
    assert result["seconds"] < 5
    print(f"7000×7000 {name} PNG: refused in {result['seconds']:.2f} s, peak {result['peak_mb']:.0f} MB "
          f"(baseline {result['baseline_mb']:.0f} MB)")
