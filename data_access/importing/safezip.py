"""Zips that cannot lie (docs/security.md): members inflated as a stream under running caps.

Declared sizes are never trusted: every byte inflated counts against the member's cap, the
whole archive's cap and a ratio to the compressed size. Only stored and deflated members are
read (deflate inflates a bounded amount per call; LZMA and bzip2 do not), encrypted members
and bad CRCs are refused naming the member, and the central directory is counted before it is
parsed, so that a million tiny entries cannot fill the memory either.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

CHUNK = 1 << 16
# More entries than any workbook or monthly folder has; each parsed entry costs about 0.5 KB.
MAX_MEMBERS = 10_000
# Deflate reaches about 1,000 : 1 on a run of one byte; real CSV and XLSX stay far below 100.
MAX_RATIO = 200
# A member smaller than this is not held to the ratio (tiny files compress oddly).
RATIO_FREE_BYTES = 1 << 20
ALLOWED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


class ZipRefused(Exception):
    """A zip or one of its members that is not read: key of the message, member, params."""

    def __init__(self, key: str, member: str = "", **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.member = member
        self.params = params


@dataclass
class Budget:
    """Bytes an archive may still inflate, shared by all its members."""

    left: int


def member_name(info: zipfile.ZipInfo) -> str:
    """Zip tools on Chinese Windows write GBK names without the UTF-8 flag."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


_END = struct.Struct("<4s4H2LH")  # end of central directory record (APPNOTE 4.3.16)
_END_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")  # zip64 end of central directory locator (4.3.15)
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")  # zip64 end of central directory record (4.3.14)
_ZIP64_END_SIGNATURE = b"PK\x06\x06"


def declared_entries(data: bytes) -> int | None:
    """The number of entries the archive's end record declares, read before anything else is
    parsed (the zip64 record's when the plain one says 0xFFFF); None when there is no end record.

    The record lies in the last 22 bytes plus at most a 65,535-byte comment."""
    tail_start = max(0, len(data) - _END.size - 0xFFFF)
    candidates = []
    at = data.rfind(_END_SIGNATURE, tail_start, len(data) - _END.size + 4)
    while at >= 0:
        candidates.append(at)
        at = data.rfind(_END_SIGNATURE, tail_start, at + 3)
    if not candidates:
        return None
    # The record is the one whose comment runs to the end (a comment may hold the signature);
    # failing that, the last one, as zipfile takes it.
    ends = [a for a in candidates if a + _END.size + _END.unpack_from(data, a)[7] == len(data)]
    at = (ends or candidates)[0]
    entries = _END.unpack_from(data, at)[4]
    if entries != 0xFFFF:
        return int(entries)
    locator_at = at - _ZIP64_LOCATOR.size
    if locator_at < 0 or data[locator_at : locator_at + 4] != _ZIP64_LOCATOR_SIGNATURE:
        return int(entries)
    offset = _ZIP64_LOCATOR.unpack_from(data, locator_at)[2]
    if offset + _ZIP64_END.size > len(data) or data[offset : offset + 4] != _ZIP64_END_SIGNATURE:
        return None
    return int(_ZIP64_END.unpack_from(data, offset)[7])


class SafeZip:
    """An archive in memory, opened only when its directory is of a sane size."""

    def __init__(self, data: bytes, total_cap: int) -> None:
        buffer = io.BytesIO(data)
        entries = declared_entries(data)
        if entries is None:
            raise ZipRefused("unreadable", error="not a zip file")
        if entries > MAX_MEMBERS:
            raise ZipRefused("zip_too_many_members", limit=MAX_MEMBERS)
        try:
            self.archive = zipfile.ZipFile(buffer)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
            raise ZipRefused("unreadable", error=str(exc)[:200]) from exc
        if len(self.archive.infolist()) > MAX_MEMBERS:
            raise ZipRefused("zip_too_many_members", limit=MAX_MEMBERS)
        self.budget = Budget(total_cap)

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.archive.close()

    def members(self) -> list[tuple[str, zipfile.ZipInfo]]:
        return [(member_name(info), info) for info in self.archive.infolist()]

    def find(self, path: str) -> zipfile.ZipInfo | None:
        try:
            return self.archive.getinfo(path)
        except KeyError:
            return None

    def chunks(self, info: zipfile.ZipInfo, cap: int) -> Iterator[bytes]:
        """The member inflated piece by piece; ZipRefused as soon as a cap is passed."""
        shown = member_name(info)
        if info.flag_bits & 0x1:
            raise ZipRefused("zip_encrypted", shown)
        if info.compress_type not in ALLOWED_METHODS:
            raise ZipRefused("zip_method", shown, method=info.compress_type)
        if info.file_size > cap:
            raise ZipRefused("file_too_large", shown, size=info.file_size)
        ratio_cap = max(RATIO_FREE_BYTES, info.compress_size * MAX_RATIO)
        inflated = 0
        try:
            with self.archive.open(info) as stream:
                while True:
                    piece = stream.read(CHUNK)
                    if not piece:
                        break
                    inflated += len(piece)
                    self.budget.left -= len(piece)
                    if inflated > cap:
                        raise ZipRefused("file_too_large", shown, size=inflated)
                    if inflated > ratio_cap or self.budget.left < 0:
                        raise ZipRefused("zip_bomb", shown)
                    yield piece
        except ZipRefused:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise ZipRefused("zip_corrupt", shown, error=str(exc)[:200]) from exc
        except NotImplementedError as exc:
            raise ZipRefused("zip_method", shown, method=info.compress_type) from exc

    def read(self, info: zipfile.ZipInfo, cap: int) -> bytes:
        return b"".join(self.chunks(info, cap))

    def stream(self, info: zipfile.ZipInfo, cap: int) -> io.RawIOBase:
        """A file object over chunks(): for a streaming XML parser."""
        return _ChunkStream(self.chunks(info, cap))


class _ChunkStream(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    # io.RawIOBase declares a wider buffer type (any writable buffer); only bytearrays reach here.
    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        while not self._pending:
            piece = next(self._chunks, None)
            if piece is None:
                return 0
            self._pending = piece
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
