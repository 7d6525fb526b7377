"""Byte-level mutations of a valid file, for the readers' fuzz tests (hypothesis draws the mutations)."""

from __future__ import annotations

import struct

from hypothesis import strategies as st

MUTATION = st.tuples(st.sampled_from(["flip", "insert", "delete", "set32"]), st.integers(0, 10**6),
                     st.integers(0, 2**32 - 1))


def mutate(data: bytes, mutations: list[tuple[str, int, int]], header_words: int = 0) -> bytes:
    """Apply ``(kind, where, value)`` mutations: flip a bit, insert or delete a few bytes, or overwrite 32 bits
    (with ``header_words``, mostly one of the first ``header_words`` big-endian words: the header fields)."""
    buf = bytearray(data)
    for kind, where, value in mutations:
        i = where % (len(buf) + 1)
        if kind == "flip" and i < len(buf):
            buf[i] ^= 1 << (value % 8)
        elif kind == "insert":
            buf[i:i] = bytes([value & 0xFF]) * (1 + value % 5)
        elif kind == "delete" and i < len(buf):
            del buf[i:i + 1 + value % 64]
        elif kind == "set32":
            j = (where % header_words) * 4 if header_words and where % 3 else i
            buf[j:j + 4] = struct.pack(">I", value)
    return bytes(buf)
