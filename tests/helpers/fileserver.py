"""A real HTTP server on 127.0.0.1 that serves test files (correct, slow, lying, dropping, missing), and the small
datasets it serves: what the download tests of the engine and of the dataset panel both use."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from gendisc.engine.data.sources import RemoteDataset, RemoteFile

__all__ = ["FileServer", "Route", "cifar_archive", "file_server", "idx_bytes", "remote_for", "tiny_idx_files"]


# -- a local file server --------------------------------------------------------------------------------------
@dataclass
class Route:
    """What the server does for one path. ``mode``: ok | slow | drop | lie (announce 2 GB) | 404 | flaky (drops
    the first request, then serves)."""

    body: bytes
    mode: str = "ok"
    delay: float = 0.002     # per 4 kB chunk, for "slow"
    hits: int = 0


@dataclass
class FileServer:
    routes: dict[str, Route] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> FileServer:
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                route = routes.get(self.path)
                if route is None or route.mode == "404":
                    self.send_error(404, "Not Found")
                    return
                route.hits += 1
                body, mode = route.body, route.mode
                if mode == "flaky" and route.hits == 1:
                    mode = "drop"
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(2_000_000_000 if mode == "lie" else len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    if mode == "drop":   # half the body, then the connection goes away
                        self.wfile.write(body[: len(body) // 2])
                    elif mode in ("slow", "lie"):
                        for i in range(0, len(body), 4096):
                            self.wfile.write(body[i:i + 4096])
                            self.wfile.flush()
                            time.sleep(route.delay)
                    else:
                        self.wfile.write(body)
                    self.wfile.flush()
                except OSError:
                    pass   # the client hung up (a cancelled download)
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.thread is not None:
            self.thread.join(5)


def tiny_idx_files(n_train: int = 300, n_test: int = 50, seed: int = 0) -> dict[str, bytes]:
    """Four gzip IDX files of random 28×28 digits (random pixels barely compress: the sizes stay as large)."""
    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte.gz": (np.arange(n_train) % 10).astype(np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": (np.arange(n_test) % 10).astype(np.uint8)}
    return {name: gzip.compress(idx_bytes(array), compresslevel=1, mtime=0) for name, array in arrays.items()}


def idx_bytes(array: np.ndarray) -> bytes:
    return bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def cifar_archive(n: int = 20, seed: int = 0) -> bytes:
    """A CIFAR-10 binary archive laid out like the real one, with ``n`` records per batch."""
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin", "batches.meta.txt"]:
            if name.endswith(".txt"):
                data = b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n"
            else:
                records = rng.integers(0, 256, (n, 3073), dtype=np.uint8)
                records[:, 0] = np.arange(n) % 10
                data = records.tobytes()
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def remote_for(server: FileServer, key: str, files: dict[str, bytes], layout: str = "idx",
               mode: str = "ok", shape: tuple[int, int, int] = (1, 28, 28), delay: float = 0.002) -> RemoteDataset:
    """Serve ``files`` and describe them as a catalog dataset (with their true sizes and SHA-256)."""
    remote_files = []
    for name, body in files.items():
        server.routes[f"/{key}/{name}"] = Route(body, mode, delay)
        remote_files.append(RemoteFile(name, server.url(f"/{key}/{name}"), len(body), hashlib.sha256(body).hexdigest()))
    return RemoteDataset(key, f"Tiny {key}", tuple(remote_files), layout, shape, tuple(str(i) for i in range(10)),
                         300, 50, "generated for a test", "nobody", "CC0", "http://127.0.0.1/")


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    server = FileServer().start()
    yield server
    server.stop()
