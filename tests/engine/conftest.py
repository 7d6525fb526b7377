"""Engine test fixtures (no Qt)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import torch

if TYPE_CHECKING:
    from tests.helpers.warm import WarmCli


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """One intra-op thread for a module of training tests: these tiny batches gain little from two, and on a busy
    2-core machine OpenMP's spinning threads can make a step ten times slower (measured: 50 s instead of 5 s for
    one test). Modules ask for it with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_npz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 256-image dataset that trains in milliseconds a step (see :mod:`tests.helpers.cli`)."""
    from tests.helpers.cli import write_tiny_npz

    return write_tiny_npz(tmp_path_factory.mktemp("tiny") / "tiny.npz")


@pytest.fixture(scope="session")
def warm_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarmCli]:
    """The real command, forked from a process that imported torch once (see :mod:`tests.helpers.warm`)."""
    from tests.helpers.warm import WarmCli

    cli = WarmCli(tmp_path_factory.mktemp("warm-cli"))
    yield cli
    cli.close()


@pytest.fixture(scope="session")
def reference_run(tiny_npz: Path, warm_cli: WarmCli, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny run trained by the real command without a stop: what every stopped, killed and resumed run must end
    as, bit for bit."""
    from tests.helpers.cli import train_args

    out = tmp_path_factory.mktemp("reference") / "run"
    result = warm_cli.run(*train_args(tiny_npz, out))
    assert result.returncode == 0, result.stderr
    return out
