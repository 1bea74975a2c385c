"""Read a response body under a hard size cap that holds after *all* Content-Encoding layers.

httpx decodes each received chunk in a single ``decompress`` call with no output bound, and
chains stacked encodings the same way, so 300 bytes of ``gzip, gzip, gzip`` become 4 GB before
any size check can run. ``BodyReader`` is fed the raw bytes instead and undoes the encodings
itself: every layer inflates at most ``STEP`` bytes per call, and the bytes coming out of every
stage (raw, each intermediate layer, the final body) are counted against the cap as they are
produced. Memory stays within the cap plus a few ``STEP``s whatever the server sends, and a
bomb is refused after at most ``cap`` bytes of work per stage.

Sans-IO: the drivers pass chunks in; ``feed`` never raises. A problem is kept in ``error``
(an ``errors.BadResponse`` the driver completes with the status and request ID) and ``feed``
returns False so the driver stops reading and drops the connection.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tui.core import errors as E
from tui.core.text import printable

if TYPE_CHECKING:
    import httpx

STEP = 64 * 1024
SUPPORTED = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class _BodyProblem(Exception):
    """Internal: stops the pump; becomes ``BodyReader.error``."""


class _Inflate:
    """One Content-Encoding layer. Handles concatenated gzip members and raw-deflate servers."""

    __slots__ = ("_finished", "_started", "_wbits", "_z", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._wbits = SUPPORTED[name]
        self._z = zlib.decompressobj(self._wbits)
        self._started = False  # any output yet (for the raw-deflate fallback)
        self._finished = False  # trailing bytes after the last member are ignored, like httpx does

    def inflate(self, data: bytes, limit: int) -> tuple[bytes, bytes]:
        """Return at most ``limit`` decoded bytes and the input still to be fed back."""
        if self._finished:
            return b"", b""
        if self._z.eof:  # between gzip members: another member, or trailing bytes to ignore
            if not data:
                return b"", b""
            if self._wbits > zlib.MAX_WBITS and data[:2] == b"\x1f\x8b":
                self._z = zlib.decompressobj(self._wbits)
            else:
                self._finished = True
                return b"", b""
        try:
            out = self._z.decompress(data, limit)
        except zlib.error:
            if self.name == "deflate" and not self._started:
                self._z, self._started = zlib.decompressobj(-zlib.MAX_WBITS), True  # "deflate" sent raw
                return self.inflate(data, limit)
            raise _BodyProblem("Zuora sent a compressed body that could not be decoded.") from None
        self._started = True
        return out, (self._z.unused_data if self._z.eof else self._z.unconsumed_tail)


class BodyReader:
    __slots__ = ("_chunks", "_layers", "_limit", "_stage_limit", "_through", "error", "size")

    def __init__(self, encodings: Iterable[str], content_length: str | None, *, limit: int, max_layers: int) -> None:
        self._limit = limit
        self._chunks: list[bytes] = []
        self.size = 0  # final (decoded) bytes so far
        self.error: E.BadResponse | None = None
        names = [n.strip().lower() for n in encodings if n.strip() and n.strip().lower() != "identity"]
        # Gzip never grows data by more than a few bytes per 16 KiB, so a compressed stage larger
        # than the cap (plus slack) cannot decode to something under it.
        self._stage_limit = limit + (limit // 100 + 1024 if names else 0)
        self._through = [0] * (len(names) + 1)  # raw bytes, then each layer's output but the last
        self._layers: list[_Inflate] = []
        if len(names) > max_layers:
            shown = printable(", ".join(names), 80)
            self._fail(
                f"Zuora's response is wrapped in {len(names)} content encodings ({shown}); "
                f"zwr decodes at most {max_layers}, so it was not read."
            )
            return
        unknown = [n for n in names if n not in SUPPORTED]
        if unknown:
            self._fail(
                f"Zuora's response uses a content encoding zwr does not support ({printable(unknown[0], 40)}); "
                "not read."
            )
            return
        # "Content-Encoding: a, b" means a was applied first: undo b first.
        self._layers = [_Inflate(n) for n in reversed(names)]
        if content_length and content_length.strip().isdigit() and int(content_length) > self._stage_limit:
            self._too_large()

    @classmethod
    def for_headers(cls, headers: httpx.Headers, *, limit: int, max_layers: int) -> BodyReader:
        """From an ``httpx.Headers`` (several Content-Encoding lines are one list)."""
        return cls(
            headers.get_list("content-encoding", split_commas=True),
            headers.get("content-length"),
            limit=limit,
            max_layers=max_layers,
        )

    def __repr__(self) -> str:  # never the bytes: a token response passes through here
        return f"BodyReader({self.size} bytes{', ' + self.error.kind if self.error else ''})"

    @property
    def wants_more(self) -> bool:
        return self.error is None

    def feed(self, data: bytes | None) -> bool:
        """Take the next raw chunk (``None`` at the end of the body). True: keep reading."""
        if self.error is not None:
            return False
        try:
            if data is None:
                self._finish()
                return False
            self._count(0, len(data))
            self._pump(0, data)
        except _BodyProblem as problem:
            self._fail(str(problem))
        return self.error is None

    def body(self) -> bytes:
        return b"".join(self._chunks)

    # ------------------------------------------------------------------ internals

    def _pump(self, level: int, data: bytes) -> None:
        if level == len(self._layers):
            self.size += len(data)
            if self.size > self._limit:
                self._too_large()
                raise _BodyProblem(self.error.message if self.error else "too large")
            self._chunks.append(data)
            return
        layer = self._layers[level]
        while True:
            out, rest = layer.inflate(data, STEP)
            if out:
                if level + 1 < len(self._layers):
                    self._count(level + 1, len(out))
                self._pump(level + 1, out)
            if not rest and len(out) < STEP:
                return  # input used up and nothing left pending inside zlib
            if rest == data and not out:  # pragma: no cover - zlib always makes progress
                raise _BodyProblem("Zuora sent a compressed body that could not be decoded.")
            data = rest

    def _finish(self) -> None:
        for level, layer in enumerate(self._layers):
            # Everything fed has been inflated in bounded steps already; this drains what zlib
            # still holds (at most one step's worth) into the next stage.
            self._pump_tail(level, layer)

    def _pump_tail(self, level: int, layer: _Inflate) -> None:
        out, _ = layer.inflate(b"", STEP)
        if out:
            if level + 1 < len(self._layers):
                self._count(level + 1, len(out))
            self._pump(level + 1, out)

    def _count(self, stage: int, n: int) -> None:
        self._through[stage] += n
        if self._through[stage] > self._stage_limit:
            self._too_large()
            raise _BodyProblem(self.error.message if self.error else "too large")

    def _too_large(self) -> None:
        mb = self._limit / (1024 * 1024)
        self._fail(f"Zuora's response is larger than the {mb:.0f} MB limit; not read.")

    def _fail(self, message: str) -> None:
        if self.error is None:
            self.error = E.BadResponse(message)
        self._chunks.clear()
