"""Git objects and packs made by hand for the history rewrite (federation.packrewrite): an
object's id, its pack entry, a pack written whole or streamed to `git index-pack`, and the
objects read back from a running `git cat-file --batch`.

Pack entries are not compressed: each body is a zlib stream of stored deflate blocks, valid
for git and free to make (a deflater per object costs more than the deflating: objects here
are a few hundred bytes, and each zlib state is a large zeroed allocation). `git gc` and the
push's pack-objects recompress them as usual.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from typing import IO

COMMIT, TREE = 1, 2
_NAMES = {COMMIT: b"commit", TREE: b"tree"}
_STORED = struct.Struct("<BHH")
_ADLER = struct.Struct(">I")
# two header bytes, the zlib header (78 01), a final stored block's header: length, ~length
_SMALL = struct.Struct("<BB2sBHH")
_sha1 = hashlib.sha1


class PackError(Exception):
    """A pack or a cat-file answer is not what it should be."""


def zlib_stored(data: bytes) -> bytes:
    """`data` as a zlib stream of stored (uncompressed) deflate blocks."""
    size = len(data)
    if size <= 0xFFFF:  # one block: every commit and tree in practice
        return b"".join(
            (
                b"\x78\x01",
                _STORED.pack(1, size, size ^ 0xFFFF),
                data,
                _ADLER.pack(zlib.adler32(data)),
            )
        )
    out = [b"\x78\x01"]
    pos = 0
    while True:
        chunk = data[pos : pos + 0xFFFF]
        pos += len(chunk)
        final = pos >= size
        n = len(chunk)
        out.append(_STORED.pack(1 if final else 0, n, n ^ 0xFFFF))
        out.append(chunk)
        if final:
            break
    out.append(_ADLER.pack(zlib.adler32(data)))
    return b"".join(out)


def entry(kind: int, body: bytes) -> bytes:
    """The pack entry of an object: type and size header, then the zlib stream."""
    size = len(body)
    if 16 <= size < 2048:  # a two-byte header and one stored block: most commits and trees
        head = _SMALL.pack(
            0x80 | (kind << 4) | (size & 15), size >> 4, b"\x78\x01", 1, size, size ^ 0xFFFF
        )
        return b"".join((head, body, _ADLER.pack(zlib.adler32(body))))
    byte = (kind << 4) | (size & 15)
    size >>= 4
    head = bytearray()
    while size:
        head.append(byte | 0x80)
        byte = size & 0x7F
        size >>= 7
    head.append(byte)
    return bytes(head) + zlib_stored(body)


def digest(kind: int, body: bytes) -> bytes:
    """The object id (20 bytes) of a `kind` object with this body."""
    return _sha1(b"%s %d\0%s" % (_NAMES[kind], len(body), body), usedforsecurity=False).digest()


def pack(entries: list[bytes]) -> bytes:
    """A whole pack of these entries."""
    data = b"PACK" + struct.pack(">II", 2, len(entries)) + b"".join(entries)
    return data + _sha1(data, usedforsecurity=False).digest()


EMPTY_TREE_HEX = b"4b825dc642cb6eb9a060e54bf8d69288fbee4904"
EMPTY_TREE_ENTRY = entry(TREE, b"")


class PackStream:
    """A pack of `count` entries written to `out` as they come (in chunks), checksum last."""

    CHUNK = 1 << 18

    def __init__(self, out: IO[bytes], count: int):
        self.out, self.count, self.written = out, count, 0
        self.checksum = _sha1(usedforsecurity=False)
        self.buffer: list[bytes] = [b"PACK" + struct.pack(">II", 2, count)]
        self.size = 12

    def add(self, item: bytes) -> None:
        self.buffer.append(item)
        self.written += 1
        self.size += len(item)
        if self.size >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        chunk = b"".join(self.buffer)
        self.checksum.update(chunk)
        self.out.write(chunk)
        self.buffer, self.size = [], 0

    def finish(self) -> None:
        if self.written != self.count:
            raise PackError(f"a pack of {self.count} objects got {self.written}")
        self.flush()
        self.out.write(self.checksum.digest())
        self.out.flush()


class Batch:
    """Objects read from a running `git cat-file --batch`, in request order."""

    def __init__(self, stream: IO[bytes]):
        self.readline, self.read = stream.readline, stream.read

    def next(self) -> tuple[bytes, bytes, bytes | None]:
        """(object id in hex, type, content); type "missing" when the name did not resolve."""
        header = self.readline()
        if not header:
            raise PackError("git cat-file stopped early")
        if header.endswith((b" missing\n", b" ambiguous\n")):
            return b"", b"missing", None
        oid, kind, size = header.rsplit(b" ", 2)
        body = self.read(int(size) + 1)
        return oid, kind, body[:-1]
