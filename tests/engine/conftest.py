"""Engine test fixtures (no Qt)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """One intra-op thread for a module of training tests: these tiny batches gain little from two, and on a busy
    2-core machine OpenMP's spinning threads can make a step ten times slower (measured: 50 s instead of 5 s for
    one test). Modules ask for it with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
