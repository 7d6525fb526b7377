"""Downloading catalog datasets with pooch: hash-checked, retried, with progress (bytes, rate) and cancellation.

Files are kept under the user's data folder (``GENDISC_DATA_DIR`` overrides it) in ``downloads/<key>/``. pooch
streams each file to a temporary name and renames it only once its SHA-256 matches, so the cache never holds a
half or corrupt file: a cancelled, interrupted or corrupted download leaves nothing behind, and any temporary a
killed process left is removed before the next attempt.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from gendisc.engine.data.dataset import Cancelled
from gendisc.engine.data.sources import REMOTE, RemoteDataset, RemoteFile
from gendisc.engine.durations import format_duration
from gendisc.engine.errors import DatasetError

DATA_DIR_ENV = "GENDISC_DATA_DIR"
CHUNK = 64 * 1024
RETRIES = 2                # more attempts after a dropped connection or a bad checksum (pooch waits 1 s, 2 s)
TIMEOUT_S = (10.0, 20.0)   # connect, and each read: a stalled server ends the attempt instead of hanging forever


class DownloadCancelled(Cancelled):
    """The user cancelled a download (raised from inside the transfer; nothing was kept)."""


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """Where a download stands: bytes over all of the dataset's files, and the recent transfer rate."""

    key: str
    file: str
    file_index: int          # 0-based
    n_files: int
    done: int                # bytes, all files
    total: int
    rate: float              # bytes per second over the last few seconds
    elapsed_s: float

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def eta_s(self) -> float | None:
        return (self.total - self.done) / self.rate if self.rate > 0 else None

    def text(self) -> str:
        """``12.3 of 30.0 MB · 4.1 MB/s · 0:04 left``"""
        parts = [f"{format_bytes(self.done, self.total)} of {format_bytes(self.total)}"]
        if self.rate > 0:
            parts.append(f"{format_bytes(self.rate)}/s")
        if self.eta_s is not None:
            parts.append(f"{format_duration(self.eta_s)} left")
        return " · ".join(parts)


ProgressFn = Callable[[DownloadProgress], None]


def format_bytes(n: float, scale_of: float | None = None) -> str:
    """``1.5 MB``; with ``scale_of`` the number is written in that number's unit, without it (``1.5``)."""
    ref = abs(scale_of if scale_of is not None else n)
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if ref >= size:
            value = f"{n / size:.1f}"
            return value if scale_of is not None else f"{value} {unit}"
    return f"{n:.0f}" if scale_of is not None else f"{n:.0f} B"


def data_dir() -> Path:
    """The folder for downloaded and imported datasets (``GENDISC_DATA_DIR``, else the user's data folder)."""
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_data_path("gendisc-studio", appauthor=False) / "datasets"


def download_dir(key: str) -> Path:
    return data_dir() / "downloads" / key


def missing_files(remote: RemoteDataset) -> list[RemoteFile]:
    """The files not (completely) in the cache. Only verified files ever get their final name, so a file of the
    right size is the one that was checked."""
    folder = download_dir(remote.key)
    return [f for f in remote.files if not _has(folder / f.name, f.size)]


def _has(path: Path, size: int) -> bool:
    try:
        return path.is_file() and path.stat().st_size == size
    except OSError:
        return False


def is_downloaded(key: str) -> bool:
    return key in REMOTE and not missing_files(REMOTE[key])


def cached_bytes(key: str | None = None) -> int:
    """Bytes the download cache holds, for one dataset or (``None``) all of them."""
    root = download_dir(key) if key else data_dir() / "downloads"
    if not root.is_dir():
        return 0
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def remove_download(key: str) -> int:
    """Delete a dataset's downloaded files; returns the bytes freed."""
    freed = cached_bytes(key)
    folder = download_dir(key)
    if folder.exists():
        try:
            shutil.rmtree(folder)
        except OSError as exc:
            raise DatasetError(folder, f"cannot remove the downloaded files ({exc.strerror or exc})") from None
    return freed


def _clean_strays(remote: RemoteDataset, folder: Path) -> None:
    """Remove anything but the dataset's own files: temporaries from a download that was killed mid-way."""
    names = {f.name for f in remote.files}
    for p in folder.iterdir():
        if p.name not in names and p.is_file():
            p.unlink(missing_ok=True)


class _Tracker:
    """The tqdm-like object pooch's ``HTTPDownloader`` reports to; it also enforces the expected size and
    checks for cancellation after every chunk (raising there aborts the transfer)."""

    def __init__(self, remote: RemoteDataset, url_of: Callable[[RemoteFile], str], progress: ProgressFn | None,
                 cancel: threading.Event | None) -> None:
        self.remote, self.url_of, self.progress, self.cancel = remote, url_of, progress, cancel
        self.file = remote.files[0]
        self.index = 0
        self.before = 0          # bytes of the files already complete
        self.done = 0            # bytes of the current file
        self.t0 = time.monotonic()
        self.window: deque[tuple[float, int]] = deque()

    def start(self, index: int, before: int, report: bool = True) -> None:
        self.index, self.file, self.before, self.done = index, self.remote.files[index], before, 0
        if report:
            self._report()

    # -- the interface pooch uses ------------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return self.file.size

    @total.setter
    def total(self, announced: int) -> None:   # set once per attempt, from the Content-Length header
        self.done = 0
        if announced and announced != self.file.size:
            raise DatasetError(self.url_of(self.file), f"the server offers {announced:,} bytes but the official "
                                                       f"{self.file.name} has {self.file.size:,}; nothing was kept")
        self._check_cancel()

    def update(self, n: int) -> None:
        self.done += n
        if self.done > self.file.size + CHUNK:   # a server that sends more than the file holds
            raise DatasetError(self.url_of(self.file), f"the server sent more than the {self.file.size:,} bytes "
                                                       f"of {self.file.name}; nothing was kept")
        self._check_cancel()
        self._report()

    def reset(self) -> None:
        self.done = 0

    def close(self) -> None:
        pass

    def finish(self) -> None:
        last = len(self.remote.files) - 1
        self.start(last, self.remote.size - self.remote.files[last].size, report=False)
        self.done = self.file.size
        self._report()

    # ----------------------------------------------------------------------------------------------------------
    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise DownloadCancelled(f"download of {self.remote.title} cancelled")

    def _report(self) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        done = self.before + min(self.done, self.file.size)
        self.window.append((now, done))
        while len(self.window) > 2 and now - self.window[0][0] > 3.0:
            self.window.popleft()
        t_old, d_old = self.window[0]
        rate = (done - d_old) / (now - t_old) if now - t_old > 1e-3 else 0.0
        self.progress(DownloadProgress(self.remote.key, self.file.name, self.index, len(self.remote.files), done,
                                       self.remote.size, max(rate, 0.0), now - self.t0))


def download(key: str, progress: ProgressFn | None = None, cancel: threading.Event | None = None,
             retries: int | None = None, timeout: float | tuple[float, float] = TIMEOUT_S) -> Path:
    """Download (or finish downloading) catalog dataset ``key`` into the cache; returns its folder.

    ``progress`` is called after every chunk; setting ``cancel`` aborts within one chunk with
    :class:`DownloadCancelled`. Files already complete are kept and not fetched again.

    Raises
    ------
    DatasetError
        Unknown key, network failure (after ``retries`` more attempts, default ``RETRIES``), an HTTP error, a
        size or SHA-256 mismatch, or a cache folder that cannot be written; the message names the URL or folder
        and what went wrong.
    DownloadCancelled
        ``cancel`` was set.
    """
    import pooch

    if key not in REMOTE:
        raise DatasetError(key, f"not a downloadable dataset (downloadable: {', '.join(REMOTE)})")
    remote = REMOTE[key]
    folder = download_dir(key)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _clean_strays(remote, folder)
    except OSError as exc:
        raise DatasetError(folder, f"cannot create the download folder ({exc.strerror or exc})") from None
    tracker = _Tracker(remote, remote.url_for, progress, cancel)
    missing = {f.name for f in missing_files(remote)}
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)   # pooch announces every download on stderr; the caller shows progress
    before = 0
    try:
        for index, f in enumerate(remote.files):
            if f.name in missing:
                tracker.start(index, before)
                _fetch(remote, f, folder, tracker, RETRIES if retries is None else retries, timeout)
            before += f.size
    except OSError as exc:
        raise DatasetError(folder, f"cannot write the download ({exc.strerror or exc})") from None
    finally:
        logger.setLevel(level)
        if folder.is_dir():
            _clean_strays(remote, folder)
    tracker.finish()
    return folder


def _fetch(remote: RemoteDataset, f: RemoteFile, folder: Path, tracker: _Tracker, retries: int,
           timeout: float | tuple[float, float]) -> None:
    """One file through pooch (temporary name, SHA-256 check, rename), its failures turned into DatasetError."""
    import pooch
    import requests

    url = remote.url_for(f)
    fetcher = pooch.create(path=folder, base_url="", registry={f.name: f.known_hash}, urls={f.name: url},
                           retry_if_failed=retries)
    try:
        fetcher.fetch(f.name, downloader=pooch.HTTPDownloader(progressbar=tracker, timeout=timeout, chunk_size=CHUNK))
    except requests.HTTPError as exc:
        response = exc.response
        status = f"{response.status_code} {response.reason}" if response is not None else str(exc)
        raise DatasetError(url, f"the server answered {status}") from None
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError) as exc:
        if tracker.done == 0 and isinstance(exc, requests.ConnectionError):
            raise DatasetError(url, f"cannot reach the server; are you online? ({_short(exc)})") from None
        why = ("the server stopped sending" if isinstance(exc, requests.Timeout) else
               f"the connection closed after {format_bytes(min(tracker.done, f.size))} of {format_bytes(f.size)}")
        raise DatasetError(url, f"download interrupted: {why}; nothing half-done was kept, try again") from None
    except requests.RequestException as exc:
        raise DatasetError(url, f"download failed ({_short(exc)})") from None
    except ValueError as exc:   # pooch's hash mismatch
        if "hash" not in str(exc).lower():
            raise
        raise DatasetError(url, f"checksum mismatch: the downloaded {f.name} is not the official file "
                                f"(expected SHA-256 {f.sha256[:16]}…); nothing was kept") from None


def _short(exc: BaseException) -> str:
    text = str(exc).split(": ")[-1].strip("()'\" ")
    return (text[:160] + "…") if len(text) > 160 else (text or type(exc).__name__)


def line_progress(stream: TextIO) -> ProgressFn:
    """A progress callback for terminals: one line redrawn at most 5 times a second (a line per file on a pipe)."""
    tty = hasattr(stream, "isatty") and stream.isatty()
    state = {"last": 0.0, "file": -1}

    def show(p: DownloadProgress) -> None:
        now = time.monotonic()
        finished = p.done >= p.total
        if tty and (now - state["last"] > 0.2 or finished):
            state["last"] = now
            filled = round(24 * p.fraction)
            stream.write(f"\rdownloading {p.key}: {'█' * filled}{'·' * (24 - filled)} {100 * p.fraction:3.0f}%  "
                         f"{p.text()}\x1b[K" + ("\n" if finished else ""))
            stream.flush()
        elif not tty and (p.file_index != state["file"] or finished):
            state["file"] = p.file_index if not finished else p.n_files
            stream.write(f"downloading {p.key}: {'done' if finished else p.file} ({p.text()})\n")
            stream.flush()

    return show
