"""An .xlsx/.xlsm package as named parts: read lazily, replaced or added whole, written out with
every untouched part's bytes carried over unchanged."""

from __future__ import annotations

import itertools
import os
import posixpath
import struct
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from servicebook.xlsx.xml import NS_CT, NS_PKG_REL

COPY_CHUNK = 1 << 20
STREAM_BLOCK = 4 << 20   # what `stream` inflates at a time
# zlib level 3: a quarter of the default's time on a large sheet, for a file about a fifth larger
# (Excel recompresses on its next save).
LEVEL = 3
# A part made in pieces and larger than a chunk is deflated in independent chunks side by side (zlib
# lets go of the GIL), each ended on a byte boundary and not final: their concatenation is one
# deflate stream.
DEFLATE_CHUNK = 4 << 20
DEFLATERS = 4
_FINAL_BLOCK = b"\x03\x00"   # an empty last block: what ends the stream after the chunks


class NotAsMade(zipfile.BadZipFile):
    """A part that did not come out as it was made, by its name: the new file is not used."""


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source_part: str, target: str) -> str:
    """A relationship target, relative to the part that holds it, as a part name."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relative(source_part: str, part: str) -> str:
    return posixpath.relpath(part, posixpath.dirname(source_part))


class Rels:
    """A part's relationships, editable."""

    def __init__(self, data: bytes | None):
        empty = etree.Element(f"{{{NS_PKG_REL}}}Relationships", nsmap={None: NS_PKG_REL})
        self.root = etree.fromstring(data) if data else empty

    def items(self) -> list[etree._Element]:
        return list(self.root)

    def by_id(self, rid: str) -> etree._Element | None:
        return next((r for r in self.root if r.get("Id") == rid), None)

    def by_type(self, rel_type: str) -> list[etree._Element]:
        return [r for r in self.root if r.get("Type") == rel_type]

    def add(self, rel_type: str, target: str) -> str:
        taken = {r.get("Id") for r in self.root}
        n = len(taken) + 1
        while f"rId{n}" in taken:
            n += 1
        etree.SubElement(self.root, f"{{{NS_PKG_REL}}}Relationship", Id=f"rId{n}", Type=rel_type, Target=target)
        return f"rId{n}"

    def remove(self, element: etree._Element) -> None:
        self.root.remove(element)

    def to_bytes(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)


class Package:
    def __init__(self, path: Path):
        self.path = path
        self.zip = zipfile.ZipFile(path)
        self.names = [info.filename for info in self.zip.infolist()]
        self.changed: dict[str, bytes | Deflated] = {}
        self.removed: set[str] = set()
        self._content_types = etree.fromstring(self.zip.read("[Content_Types].xml"))
        self._types_changed = False

    def close(self) -> None:
        self.zip.close()

    def exists(self, name: str) -> bool:
        return name not in self.removed and (name in self.changed or name in self.names)

    def read(self, name: str) -> bytes:
        if name in self.changed:
            data = self.changed[name]
            return data if isinstance(data, bytes) else zlib.decompress(b"".join(data.chunks), -15)
        return self.zip.read(name)

    def read_large(self, name: str) -> bytes | bytearray:
        """A part read into one buffer of its size: `read` inflates into pieces and joins them,
        which for a 250 MB sheet holds it twice at the peak."""
        if name in self.changed or name not in self.names:
            return self.read(name)
        info = self.zip.getinfo(name)
        buffer = bytearray(info.file_size)
        view, filled = memoryview(buffer), 0
        with self.zip.open(info) as reader:
            while filled < len(buffer) and (count := reader.readinto(view[filled:filled + COPY_CHUNK])):
                filled += count
            if filled != len(buffer) or reader.read(1):
                raise zipfile.BadZipFile(f"{name}: not the size its directory says")
        return buffer

    def size(self, name: str) -> int:
        """A part's size inflated."""
        if name in self.changed or name not in self.names:
            return len(self.read(name))
        return self.zip.getinfo(name).file_size

    def stream(self, name: str) -> Iterator[bytes]:
        """A part inflated a block at a time, from its start each time it is asked: a sheet of a
        few hundred megabytes is read through without being held."""
        if name in self.changed or name not in self.names:
            yield self.read(name)
            return
        with self.zip.open(name) as reader:
            while block := reader.read(STREAM_BLOCK):
                yield block

    def put(self, name: str, data: bytes, content_type: str | None = None) -> None:
        self.removed.discard(name)
        self.changed[name] = data
        if content_type and not name.endswith(".rels"):
            self.set_content_type(name, content_type)

    def put_stream(self, name: str, pieces: Iterable[bytes | memoryview],
                   watch: Callable[[bytes], None] | None = None) -> None:
        """A part deflated as its pieces are made: a large sheet is held compressed (a tenth of its
        size), never whole, and the part it was made from can go before the next is read. `watch`
        is handed the part's bytes in order, a few megabytes at a time, before they are deflated."""
        self.removed.discard(name)
        try:
            self.changed[name] = _deflate_now(pieces, watch)
        except _Misdeflated:
            raise NotAsMade(name) from None

    def checksum(self, name: str) -> tuple[int, int]:
        """(CRC-32, size) of a part put as a stream: what the zip directory will say of it."""
        data = self.changed[name]
        if not isinstance(data, Deflated):
            raise TypeError(f"{name} was not put as a stream")
        return data.crc, data.size

    def remove(self, name: str) -> None:
        self.changed.pop(name, None)
        self.removed.add(name)
        for override in self._content_types:
            if override.get("PartName") == "/" + name:
                self._content_types.remove(override)
                self._types_changed = True

    def rels(self, part: str) -> Rels:
        name = rels_name(part)
        return Rels(self.read(name) if self.exists(name) else None)

    def put_rels(self, part: str, rels: Rels) -> None:
        self.put(rels_name(part), rels.to_bytes())

    def content_type(self, name: str) -> str | None:
        for element in self._content_types:
            if element.get("PartName") == "/" + name:
                return element.get("ContentType")
        extension = name.rsplit(".", 1)[-1].lower()
        for element in self._content_types:
            if (element.get("Extension") or "").lower() == extension:
                return element.get("ContentType")
        return None

    def set_content_type(self, name: str, content_type: str) -> None:
        if self.content_type(name) == content_type:
            return
        etree.SubElement(self._content_types, f"{{{NS_CT}}}Override", PartName="/" + name, ContentType=content_type)
        self._types_changed = True

    def free_name(self, pattern: str) -> str:
        """The first unused part name of a pattern such as 'xl/worksheets/sheet{}.xml'."""
        n = 1
        while self.exists(pattern.format(n)):
            n += 1
        return pattern.format(n)

    def save(self, target: Path) -> None:
        """Write the package to `target` and read it back: every part written afresh is inflated
        and its CRC checked, every part carried over is compared byte for byte with the source's
        (inflating those again would cost more than the whole write on a large workbook)."""
        self._write_to(target)
        self._verify(target)

    def _write_to(self, target: Path) -> None:
        if self._types_changed:
            self.changed["[Content_Types].xml"] = etree.tostring(
                self._content_types, xml_declaration=True, encoding="UTF-8", standalone=True)
        written = set()
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
            for info in self.zip.infolist():
                name = info.filename
                if name in self.removed:
                    continue
                written.add(name)
                if name in self.changed:
                    _write(out, _info_like(info), self.changed[name])
                else:
                    _copy(self.zip, info, out)
            for name, data in self.changed.items():
                if name not in written and name not in self.removed:
                    _write(out, _new_info(name), data)


    def _verify(self, target: Path) -> None:
        """Raises BadZipFile naming the first part that did not come out as written."""
        carried = {info.filename: info for info in self.zip.infolist()
                   if info.filename not in self.changed and info.filename not in self.removed}
        with zipfile.ZipFile(target) as written:
            for info in written.infolist():
                try:
                    made = self.changed.get(info.filename)
                    if isinstance(made, Deflated) and made.checked:
                        _check_as_made(written, info, made)
                    else:
                        _check_member(self.zip, carried.get(info.filename), written, info)
                except (zipfile.BadZipFile, zlib.error, EOFError) as error:
                    raise zipfile.BadZipFile(info.filename) from error


def _check_member(source_zip: zipfile.ZipFile, source: zipfile.ZipInfo | None, written: zipfile.ZipFile,
                  info: zipfile.ZipInfo) -> None:
    """A part written afresh inflated and checked; a part carried over compared byte for byte."""
    if source is None and info.compress_type == zipfile.ZIP_DEFLATED:
        _check_deflated(written, info)
    elif source is None or source.compress_type != info.compress_type:
        with written.open(info) as reader:   # zipfile checks the CRC at the end
            while reader.read(COPY_CHUNK):
                pass
    elif not _same_bytes(source_zip, source, written, info):
        raise zipfile.BadZipFile("differs from the source")


def _check_as_made(archive: zipfile.ZipFile, info: zipfile.ZipInfo, made: Deflated) -> None:
    """A part inflated again as it was made: the file holds its bytes, CRC and size as made."""
    if (info.CRC, info.file_size, info.compress_size) != (made.crc, made.size, sum(map(len, made.chunks))) \
            or not _same_content(made.chunks, _raw(archive, info)):
        raise zipfile.BadZipFile("not the part that was written")


def _same_content(left: Iterable[bytes], right: Iterable[bytes]) -> bool:
    """Two byte streams equal, however each is cut into chunks (neither is joined: at 100,000
    records a large part's deflate stream is 40 MB)."""
    a, b = filter(None, left), filter(None, right)
    x, y = memoryview(next(a, b"")), memoryview(next(b, b""))
    while x and y:
        n = min(len(x), len(y))
        if x[:n] != y[:n]:
            return False
        x, y = x[n:] or memoryview(next(a, b"")), y[n:] or memoryview(next(b, b""))
    return not x and not y


def _check_deflated(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """A part we deflated: inflated whole, its CRC and size as the directory says, and its stream
    properly ended (zipfile stops at the member's size and would not notice a missing last block)."""
    inflater, crc, size = zlib.decompressobj(-15), 0, 0
    for chunk in _raw(archive, info):
        data = inflater.decompress(chunk)
        crc, size = zlib.crc32(data, crc), size + len(data)
    if not inflater.eof or inflater.unused_data or (crc, size) != (info.CRC, info.file_size):
        raise zipfile.BadZipFile("not the part that was written")


def _same_bytes(a: zipfile.ZipFile, a_info: zipfile.ZipInfo, b: zipfile.ZipFile, b_info: zipfile.ZipInfo) -> bool:
    if (a_info.CRC, a_info.compress_size, a_info.file_size) != (b_info.CRC, b_info.compress_size, b_info.file_size):
        return False
    return all(x == y for x, y in zip(_raw(a, a_info), _raw(b, b_info), strict=True))


@dataclass
class Deflated:
    """A part's deflate stream, in chunks, with its CRC-32 and size."""

    chunks: list[bytes]
    crc: int
    size: int
    checked: bool = False   # inflated again as it was made: the written bytes need only be compared


def _deflate_now(pieces: Iterable[bytes | memoryview], watch: Callable[[bytes], None] | None = None) -> Deflated:
    batches = _joined(pieces, DEFLATE_CHUNK)
    if watch is not None:
        batches = _watched(batches, watch)
    first = next(batches)
    workers = min(DEFLATERS, os.cpu_count() or 1)
    if len(first) < DEFLATE_CHUNK or workers == 1:   # a small part (or one core): one stream
        deflater, crc, size, chunks = zlib.compressobj(LEVEL, zlib.DEFLATED, -15), 0, 0, []
        for batch in itertools.chain([first], batches):
            chunks.append(deflater.compress(batch))
            crc, size = zlib.crc32(batch, crc), size + len(batch)
        chunks.append(deflater.flush())
        return Deflated(chunks, crc, size)
    sizes = zipfile.ZipInfo()
    with _Reinflated() as again:
        made = _deflate_side_by_side(itertools.chain([first], batches), workers, sizes)
        chunks = [again.feed(chunk) for chunk in made]
        again.check(sizes.CRC, sizes.file_size)
    return Deflated(chunks, sizes.CRC, sizes.file_size, checked=True)


class _Misdeflated(Exception):
    """A deflate stream that does not inflate to what was deflated."""


class _Reinflated:
    """A deflate stream inflated again as it is made, in order, on a thread of its own (zlib lets go
    of the GIL): the read-back check of a large part, done beside the work that makes it."""

    def __init__(self):
        self._inflater, self.crc, self.size = zlib.decompressobj(-15), 0, 0
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="servicebook-reinflate")
        self._last, self._failed = None, False

    def __enter__(self) -> _Reinflated:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def feed(self, chunk: bytes) -> bytes:
        self._last = self._pool.submit(self._take, chunk)
        return chunk

    def _take(self, chunk: bytes) -> None:
        if self._failed:
            return
        try:
            data = self._inflater.decompress(chunk)
        except zlib.error:
            self._failed = True
            return
        self.crc, self.size = zlib.crc32(data, self.crc), self.size + len(data)

    def check(self, crc: int, size: int) -> None:
        if self._last is not None:
            self._last.result()
        if self._failed or not self._inflater.eof or self._inflater.unused_data or (self.crc, self.size) != (crc, size):
            raise _Misdeflated()


def _write(out: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes | Deflated) -> None:
    if isinstance(data, bytes):
        out.writestr(info, data)
        return
    info.CRC, info.file_size = data.crc, data.size
    info.compress_size = sum(map(len, data.chunks))
    _put_raw(out, info, data.chunks)


def _joined(pieces: Iterable[bytes | memoryview], size: int) -> Iterator[bytes]:
    """The pieces in batches of about `size` bytes."""
    batch, held = [], 0
    for piece in pieces:
        batch.append(piece)
        held += len(piece)
        if held >= size:
            yield b"".join(batch)
            batch, held = [], 0
    yield b"".join(batch)


def _watched(batches: Iterator[bytes], watch: Callable[[bytes], None]) -> Iterator[bytes]:
    for batch in batches:
        watch(batch)
        yield batch


def _deflate_chunk(chunk: bytes) -> bytes:
    deflater = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return deflater.compress(chunk) + deflater.flush(zlib.Z_SYNC_FLUSH)


def _deflate_side_by_side(chunks: Iterator[bytes], workers: int, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The chunks deflated, in order, a few in hand at a time; their CRC and size go to `info`
    once the last is given."""
    crc, size, pending = 0, 0, deque()
    with ThreadPoolExecutor(workers, thread_name_prefix="servicebook-deflate") as pool:
        for chunk in chunks:
            pending.append(pool.submit(_deflate_chunk, chunk))
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)   # beside the workers
            while len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    info.CRC, info.file_size = crc, size
    yield _FINAL_BLOCK


def _put_raw(out: zipfile.ZipFile, info: zipfile.ZipInfo, chunks: Iterable[bytes]) -> None:
    """A member whose compressed bytes, CRC and sizes are known. zipfile has no public call for
    writing a member's bytes as they are: the steps of its own ZipFile.mkdir, up to the data."""
    out.fp.seek(out.start_dir)
    info.header_offset = out.fp.tell()
    out._writecheck(info)
    out._didModify = True
    out.filelist.append(info)
    out.NameToInfo[info.filename] = info
    out.fp.write(info.FileHeader())   # ZIP64 when the sizes need it
    for chunk in chunks:
        out.fp.write(chunk)
    out.start_dir = out.fp.tell()


def _deflated(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    info.compress_type = zipfile.ZIP_DEFLATED
    # zipfile reads `_compresslevel` up to 3.12 and `compress_level` since 3.13 (ZipInfo has slots)
    setattr(info, "compress_level" if "compress_level" in zipfile.ZipInfo.__slots__ else "_compresslevel", LEVEL)
    return info


def _info_like(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    copy = _deflated(zipfile.ZipInfo(info.filename, date_time=info.date_time))
    copy.external_attr = info.external_attr
    return copy


def _new_info(name: str) -> zipfile.ZipInfo:
    return _deflated(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)))


def _copy(source: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
    """An untouched part: its compressed bytes carried over as they are, neither inflated nor
    deflated again (the slowest part of a save that changed one sheet, and Excel's own, tighter
    compression is kept). A part stored some other way is streamed through zipfile."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
        _recompress(source, info, out)
        return
    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    copy.compress_type, copy.external_attr = info.compress_type, info.external_attr
    copy.CRC, copy.compress_size, copy.file_size = info.CRC, info.compress_size, info.file_size
    _put_raw(out, copy, _raw(source, info))


def _raw(source: zipfile.ZipFile, info: zipfile.ZipInfo):
    """A member's compressed bytes, as the archive holds them, in chunks."""
    with open(source.filename, "rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(zipfile.sizeFileHeader)
        if len(header) != zipfile.sizeFileHeader or header[:4] != zipfile.stringFileHeader:
            raise zipfile.BadZipFile(f"bad local header: {info.filename}")
        fields = struct.unpack(zipfile.structFileHeader, header)
        fh.seek(fields[zipfile._FH_FILENAME_LENGTH] + fields[zipfile._FH_EXTRA_FIELD_LENGTH], 1)
        left = info.compress_size
        while left:
            chunk = fh.read(min(left, COPY_CHUNK))
            if not chunk:
                raise zipfile.BadZipFile(f"truncated member: {info.filename}")
            left -= len(chunk)
            yield chunk


def _recompress(source: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
    """A part in a form carried over byte for byte would not suit (another method, encrypted):
    streamed through zipfile, so a large sheet never sits in memory whole."""
    copy = _deflated(zipfile.ZipInfo(info.filename, date_time=info.date_time))
    copy.external_attr = info.external_attr
    with source.open(info) as reader, out.open(copy, "w", force_zip64=info.file_size > 1 << 30) as writer:
        while chunk := reader.read(COPY_CHUNK):
            writer.write(chunk)
