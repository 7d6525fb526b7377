"""Downloads, for real, from an HTTP server on 127.0.0.1 that the tests start: correct, corrupted, slow, lying and
connection-dropping files. The catalog's real entries are checked for shape and completeness, never fetched.
No Qt here."""

from __future__ import annotations

import gzip
import io
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gendisc.engine.data import download as dl
from gendisc.engine.data.catalog import dataset_info, ensure_downloaded, list_datasets, load_dataset
from gendisc.engine.data.sources import MIRROR_ENV, REMOTE, RemoteDataset, RemoteFile
from gendisc.engine.errors import DatasetError
from tests.helpers.fileserver import FileServer, cifar_archive, remote_for, tiny_idx_files

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("GENDISC_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def server(file_server: FileServer) -> FileServer:
    return file_server


@pytest.fixture
def tiny(server: FileServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> RemoteDataset:
    remote = remote_for(server, "tiny", tiny_idx_files())
    monkeypatch.setitem(REMOTE, "tiny", remote)
    return remote


def cache_files(key: str) -> list[str]:
    folder = dl.download_dir(key)
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


# -- the real catalog: shape and completeness -----------------------------------------------------------------
def test_catalog_has_the_four_datasets_complete() -> None:
    assert list(REMOTE) == ["mnist", "fashion-mnist", "kmnist", "cifar10"]
    for r in REMOTE.values():
        assert r.title and r.description and r.credit and r.license and r.homepage.startswith("http")
        assert r.layout in ("idx", "cifar-bin")
        assert len(r.class_names) == 10 and len(set(r.class_names)) == 10
        assert r.n_train > 0 and r.n_test > 0
        assert len({f.name for f in r.files}) == len(r.files) == (4 if r.layout == "idx" else 1)
        for f in r.files:
            assert re.fullmatch(r"https?://[^/]+/.+", f.url) and f.url.endswith("/" + f.name)
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256), f.name
            assert 1000 < f.size < 200_000_000
            assert f.known_hash == "sha256:" + f.sha256
    assert REMOTE["cifar10"].image_shape == (3, 32, 32)
    assert REMOTE["cifar10"].files[0].url == "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    assert REMOTE["cifar10"].files[0].size == 170052171
    assert REMOTE["mnist"].files[0].url.startswith("https://ossci-datasets.s3.amazonaws.com/mnist/")
    assert REMOTE["fashion-mnist"].files[0].url.startswith("http://fashion-mnist.s3-website.eu-central-1.amazonaws")
    assert REMOTE["kmnist"].files[0].url.startswith("http://codh.rois.ac.jp/kmnist/dataset/kmnist/")
    hashes = [f.sha256 for r in REMOTE.values() for f in r.files]
    assert len(set(hashes)) == len(hashes)


def test_fashion_files_of_the_system_install_are_the_official_images() -> None:
    """Debian re-compressed the official files (other gzip headers, so other hashes of the .gz), but what they
    hold must be what the catalog's sizes announce: the same IDX headers as the official files."""
    folder = Path("/usr/share/datasets/fashion-mnist")
    if not folder.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed here")
    for f in REMOTE["fashion-mnist"].files:
        with gzip.open(folder / f.name) as fh:
            header = fh.read(16)
        assert header[:4] == (b"\x00\x00\x08\x03" if "images" in f.name else b"\x00\x00\x08\x01")


def test_mirror_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    r = REMOTE["mnist"]
    assert r.url_for(r.files[0]) == r.files[0].url
    monkeypatch.setenv(MIRROR_ENV, "http://mirror.example/datasets/")
    assert r.url_for(r.files[0]) == "http://mirror.example/datasets/mnist/train-images-idx3-ubyte.gz"


def test_catalog_lists_downloadable_entries_with_their_size(data_dir: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENDISC_FASHION_MNIST_DIR", str(data_dir / "no-system-copy"))
    infos = {i.key: i for i in list_datasets()}
    assert list(infos)[:5] == ["mnist-sample", "mnist", "fashion-mnist", "kmnist", "cifar10"]
    for key in ("mnist", "fashion-mnist", "kmnist", "cifar10"):
        info = infos[key]
        assert info.source == "downloadable" and not info.ready
        assert info.download_bytes == REMOTE[key].size
        assert info.location == str(data_dir / "downloads" / key)
        with pytest.raises(DatasetError, match="not downloaded yet"):
            load_dataset(key)
    assert infos["cifar10"].image_shape == (3, 32, 32)
    with pytest.raises(DatasetError, match="apt install dataset-fashion-mnist"):
        load_dataset("fashion-mnist")


# -- downloads from the local server --------------------------------------------------------------------------
def test_good_download_is_cached_loadable_and_not_fetched_twice(tiny: RemoteDataset, data_dir: Path,
                                                                 server: FileServer) -> None:
    assert dataset_info("tiny").source == "downloadable"   # type: ignore[union-attr]
    seen: list[dl.DownloadProgress] = []
    folder = dl.download("tiny", seen.append)
    assert folder == data_dir / "downloads" / "tiny"
    assert cache_files("tiny") == sorted(f.name for f in tiny.files)   # and nothing else: no temporaries
    done = [p.done for p in seen]
    assert done == sorted(done) and done[-1] == seen[-1].total == tiny.size
    assert all(p.key == "tiny" and p.n_files == 4 for p in seen)
    info = dataset_info("tiny")
    assert info is not None and info.source == "cached" and info.ready and info.download_bytes == 0
    ds = load_dataset("tiny")
    assert ds.train_images.shape == (300, 28, 28, 1) and ds.test_images is not None
    assert ds.class_counts().tolist() == [30] * 10
    hits = {p: r.hits for p, r in server.routes.items()}
    dl.download("tiny")   # everything is there: nothing is fetched again
    assert {p: r.hits for p, r in server.routes.items()} == hits
    assert dl.cached_bytes("tiny") == tiny.size


def test_corrupted_file_is_refused_and_nothing_is_kept(tiny: RemoteDataset, server: FileServer) -> None:
    route = server.routes["/tiny/t10k-images-idx3-ubyte.gz"]
    route.body = bytes([route.body[0] ^ 1]) + route.body[1:]   # same size, one bit flipped
    with pytest.raises(DatasetError) as exc:
        dl.download("tiny", retries=0)
    assert "checksum mismatch" in exc.value.problem and "t10k-images-idx3-ubyte.gz" in str(exc.value)
    assert exc.value.path == server.url("/tiny/t10k-images-idx3-ubyte.gz")
    assert "t10k-images-idx3-ubyte.gz" not in cache_files("tiny")
    assert all(not n.startswith("tmp") for n in cache_files("tiny"))
    assert dataset_info("tiny").source == "downloadable"   # type: ignore[union-attr]


def test_dropped_connection_leaves_nothing_and_the_next_attempt_starts_clean(tiny: RemoteDataset,
                                                                            server: FileServer) -> None:
    route = server.routes["/tiny/train-images-idx3-ubyte.gz"]
    route.mode = "drop"
    with pytest.raises(DatasetError) as exc:
        dl.download("tiny", retries=0)
    assert "interrupted" in exc.value.problem and "nothing half-done was kept" in exc.value.problem
    assert cache_files("tiny") == []
    route.mode = "ok"
    dl.download("tiny", retries=0)
    assert cache_files("tiny") == sorted(f.name for f in tiny.files)
    assert load_dataset("tiny").train_images.shape == (300, 28, 28, 1)


def test_a_dropped_connection_is_retried(tiny: RemoteDataset, server: FileServer) -> None:
    server.routes["/tiny/train-labels-idx1-ubyte.gz"].mode = "flaky"
    dl.download("tiny", retries=1)
    assert server.routes["/tiny/train-labels-idx1-ubyte.gz"].hits == 2
    assert dl.is_downloaded("tiny")


def test_cancel_midway_leaves_no_half_file(tiny: RemoteDataset, server: FileServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dl, "CHUNK", 4096)   # many progress reports for a small file
    for route in server.routes.values():
        route.mode = "slow"
    cancel = threading.Event()
    seen: list[dl.DownloadProgress] = []

    def progress(p: dl.DownloadProgress) -> None:
        seen.append(p)
        if p.file_index == 0 and p.done > tiny.files[0].size // 2:
            cancel.set()

    with pytest.raises(dl.DownloadCancelled):
        dl.download("tiny", progress, cancel)
    assert 0 < seen[-1].done < tiny.files[0].size
    assert cache_files("tiny") == []
    assert any(p.rate > 0 for p in seen)   # the rate is measured while the bytes come in
    dl.download("tiny")   # starts clean and completes
    assert dl.is_downloaded("tiny")


def test_slow_download_reports_rate_and_progress(tiny: RemoteDataset, server: FileServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dl, "CHUNK", 4096)
    route = server.routes["/tiny/train-images-idx3-ubyte.gz"]
    route.mode, route.delay = "slow", 0.005
    seen: list[dl.DownloadProgress] = []
    t0 = time.monotonic()
    dl.download("tiny", seen.append)
    elapsed = time.monotonic() - t0
    first = [p for p in seen if p.file_index == 0]
    assert len(first) > 20
    rates = [p.rate for p in first[5:]]
    assert all(r > 0 for r in rates)
    assert max(rates) < 50 * tiny.size / elapsed   # a plausible number of bytes per second, not noise
    mid = first[len(first) // 2]
    assert "of" in mid.text() and "/s" in mid.text()


def test_stale_temporary_of_a_killed_download_is_removed(tiny: RemoteDataset) -> None:
    folder = dl.download_dir("tiny")
    folder.mkdir(parents=True)
    (folder / "tmpk3l9x_ab").write_bytes(b"half a file from a process that was killed")
    dl.download("tiny")
    assert cache_files("tiny") == sorted(f.name for f in tiny.files)


def test_server_announcing_a_huge_file_is_refused_at_once(tiny: RemoteDataset, server: FileServer) -> None:
    server.routes["/tiny/train-images-idx3-ubyte.gz"].mode = "lie"   # Content-Length: 2 GB
    t0 = time.monotonic()
    with pytest.raises(DatasetError) as exc:
        dl.download("tiny", retries=0)
    assert time.monotonic() - t0 < 5
    assert "2,000,000,000 bytes" in exc.value.problem
    assert cache_files("tiny") == []


def test_http_error_is_reported_with_its_status(tiny: RemoteDataset, server: FileServer) -> None:
    server.routes["/tiny/t10k-labels-idx1-ubyte.gz"].mode = "404"
    with pytest.raises(DatasetError) as exc:
        dl.download("tiny", retries=0)
    assert "404" in exc.value.problem and exc.value.path.endswith("/tiny/t10k-labels-idx1-ubyte.gz")
    assert "t10k-labels-idx1-ubyte.gz" not in cache_files("tiny")
    assert dataset_info("tiny").download_bytes == tiny.files[3].size   # type: ignore[union-attr]


def test_unreachable_server(tiny: RemoteDataset, server: FileServer, monkeypatch: pytest.MonkeyPatch) -> None:
    server.stop()
    with pytest.raises(DatasetError, match="cannot reach the server"):
        dl.download("tiny", retries=0)
    assert cache_files("tiny") == []


def test_load_with_download_and_remove(tiny: RemoteDataset) -> None:
    with pytest.raises(DatasetError, match=r"not downloaded yet .*gendisc datasets download tiny"):
        load_dataset("tiny")
    ds = load_dataset("tiny", download=True)
    assert ds.name == "tiny"
    freed = dl.remove_download("tiny")
    assert freed == tiny.size and cache_files("tiny") == []
    assert dataset_info("tiny").source == "downloadable"   # type: ignore[union-attr]


def test_cifar_layout_downloads_and_loads(server: FileServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    remote = remote_for(server, "tiny-cifar", {"cifar-10-binary.tar.gz": cifar_archive()}, "cifar-bin",
                        shape=(3, 32, 32))
    monkeypatch.setitem(REMOTE, "tiny-cifar", remote)
    ds = load_dataset("tiny-cifar", download=True)
    assert ds.train_images.shape == (100, 32, 32, 3) and ds.image_shape == (3, 32, 32)
    assert ds.test_images is not None and ds.test_images.shape == (20, 32, 32, 3)
    assert ds.class_names[0] == "airplane" and ds.class_counts().tolist() == [10] * 10


def test_mirror_serves_the_files(server: FileServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = tiny_idx_files(40, 10)
    remote = remote_for(server, "tiny", files)
    # the catalog names an address that does not exist; the mirror has the same bytes
    remote = RemoteDataset(**{**remote.__dict__, "files": tuple(
        RemoteFile(f.name, "http://127.0.0.1:9/nowhere/" + f.name, f.size, f.sha256) for f in remote.files)})
    monkeypatch.setitem(REMOTE, "tiny", remote)
    monkeypatch.setenv(MIRROR_ENV, server.base)
    dl.download("tiny", retries=0)
    assert dl.is_downloaded("tiny")


def test_ensure_downloaded_prints_progress_lines(tiny: RemoteDataset) -> None:
    out = io.StringIO()
    ensure_downloaded("tiny", out)
    text = out.getvalue()
    assert "not downloaded yet" in text and "downloading tiny: done" in text
    assert text.count("\n") >= 5   # a line per file on a pipe, then done
    out = io.StringIO()
    ensure_downloaded("tiny", out)   # already there: silent
    ensure_downloaded("mnist-sample", out)
    assert out.getvalue() == ""


def test_progress_text_and_sizes() -> None:
    p = dl.DownloadProgress("k", "f", 0, 1, 12_300_000, 30_000_000, 4_100_000, 3.0)
    assert p.text() == "12.3 of 30.0 MB · 4.1 MB/s · 0:04 left"
    assert dl.format_bytes(170052171) == "170.1 MB" and dl.format_bytes(512) == "512 B"
    assert dl.format_bytes(2.5e9) == "2.5 GB" and dl.format_bytes(4542) == "4.5 kB"


def test_command_line_lists_and_refuses_bad_keys(data_dir: Path) -> None:
    env = {"GENDISC_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "datasets", "list"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "cifar10" in proc.stdout and "170.1 MB to download" in proc.stdout
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "datasets", "download", "imagenet"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
