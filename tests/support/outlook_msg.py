"""Outlook .msg files for the tests, written to the published formats: an OLE compound file
([MS-CFB], version 3: 512-byte sectors, a mini stream for streams under 4,096 bytes) holding a
message's MAPI properties as [MS-OXMSG] lays them out — the property stream, one substorage
stream per string or binary property, a storage per recipient and per attachment. What Outlook
writes when a message is dragged out of it; read back by extract-msg, an independent reader."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime

SECTOR, MINI, CUTOFF = 512, 64, 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
UNICODE, BINARY, LONG, SYSTIME = 0x001F, 0x0102, 0x0003, 0x0040


# ------------------------------------------------------------------ the compound file


@dataclass
class Node:
    name: str
    data: bytes | None = None            # a stream; None: a storage
    children: list[Node] = field(default_factory=list)

    def add(self, node: Node) -> Node:
        self.children.append(node)
        return node


def _key(node: Node) -> tuple[int, str]:
    # [MS-CFB] 2.6.4: siblings are ordered by name length, then by the upper-cased name.
    return len(node.name), node.name.upper()


def _chain(fat: list[int], first: int, count: int) -> None:
    for n in range(count):
        fat[first + n] = first + n + 1 if n < count - 1 else END


def compound_file(root: Node) -> bytes:
    entries: list[Node] = []

    def number(node: Node) -> None:
        entries.append(node)
        for child in node.children:
            number(child)

    number(root)
    ids = {id(node): n for n, node in enumerate(entries)}
    # The mini stream: every stream under the cutoff, in 64-byte mini sectors.
    mini = bytearray()
    minifat: list[int] = []
    where: dict[int, tuple[int, int]] = {}   # entry -> (start, size)
    big: list[Node] = []
    for node in entries[1:]:
        if node.data is None:
            continue
        if len(node.data) < CUTOFF:
            start = len(mini) // MINI
            count = max(1, -(-len(node.data) // MINI)) if node.data else 0
            if count:
                mini += node.data.ljust(count * MINI, b"\0")
                minifat += [start + n + 1 if n < count - 1 else END for n in range(count)]
            where[ids[id(node)]] = (start if count else END, len(node.data))
        else:
            big.append(node)
    sectors = lambda size: -(-size // SECTOR)   # noqa: E731
    dir_sectors = sectors(len(entries) * 128)
    minifat_sectors = sectors(len(minifat) * 4)
    mini_sectors = sectors(len(mini))
    big_sectors = sum(sectors(len(n.data)) for n in big)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < fat_sectors + dir_sectors + minifat_sectors + mini_sectors + big_sectors:
        fat_sectors += 1
    total = fat_sectors + dir_sectors + minifat_sectors + mini_sectors + big_sectors
    fat = [FREE] * (fat_sectors * SECTOR // 4)
    for n in range(fat_sectors):
        fat[n] = FATSECT
    dir_start = fat_sectors
    _chain(fat, dir_start, dir_sectors)
    minifat_start = dir_start + dir_sectors
    _chain(fat, minifat_start, minifat_sectors)
    mini_start = minifat_start + minifat_sectors
    _chain(fat, mini_start, mini_sectors)
    next_sector = mini_start + mini_sectors
    body = bytearray()
    for node in big:
        count = sectors(len(node.data))
        _chain(fat, next_sector, count)
        where[ids[id(node)]] = (next_sector, len(node.data))
        body += node.data.ljust(count * SECTOR, b"\0")
        next_sector += count
    assert next_sector == total
    directory = b"".join(_entry(node, ids, where, mini_start if mini else END, len(mini)) for node in entries)
    directory = directory.ljust(dir_sectors * SECTOR, b"\0")
    difat = list(range(fat_sectors)) + [FREE] * (109 - fat_sectors)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16, 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6,
        0, fat_sectors, dir_start, 0, CUTOFF, minifat_start if minifat else END, minifat_sectors, END, 0,
    ) + struct.pack("<109I", *difat)
    return b"".join([
        header.ljust(SECTOR, b"\0"), struct.pack(f"<{len(fat)}I", *fat), directory,
        struct.pack(f"<{len(minifat)}I", *minifat).ljust(minifat_sectors * SECTOR, b"\xff") if minifat else b"",
        bytes(mini).ljust(mini_sectors * SECTOR, b"\0"), bytes(body),
    ])


def _tree(children: list[Node], ids: dict[int, int]) -> tuple[int, dict[int, tuple[int, int]]]:
    """A balanced binary search tree of siblings: (the root's id, id -> (left, right))."""
    ordered = sorted(children, key=_key)
    links: dict[int, tuple[int, int]] = {}

    def build(low: int, high: int) -> int:
        if low > high:
            return NOSTREAM
        middle = (low + high) // 2
        node = ids[id(ordered[middle])]
        links[node] = (build(low, middle - 1), build(middle + 1, high))
        return node

    return build(0, len(ordered) - 1), links


_LINKS: dict[int, tuple[int, int]] = {}


def _entry(node: Node, ids: dict[int, int], where: dict[int, tuple[int, int]], mini_start: int,
           mini_size: int) -> bytes:
    n = ids[id(node)]
    child = NOSTREAM
    if node.data is None:
        child, links = _tree(node.children, ids)
        _LINKS.update(links)
    left, right = _LINKS.get(n, (NOSTREAM, NOSTREAM))
    name = node.name.encode("utf-16-le")
    kind = 5 if n == 0 else (2 if node.data is not None else 1)
    start, size = (mini_start, mini_size) if n == 0 else where.get(n, (0, 0))
    if node.data is None and n != 0:
        start, size = 0, 0
    return struct.pack("<64sHBBIII16sIQQIQ", name.ljust(64, b"\0"), len(name) + 2, kind, 1, left, right, child,
                       b"\0" * 16, 0, 0, 0, start, size)


# ------------------------------------------------------------------ the message


def _filetime(when: datetime) -> int:
    return int((when.astimezone(UTC) - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)


def _properties(node: Node, header: bytes, props: dict[int, object]) -> None:
    """The property stream and one substorage stream per variable-length property."""
    entries = bytearray(header)
    for tag, value in props.items():
        kind = tag & 0xFFFF
        if kind == UNICODE:
            data = str(value).encode("utf-16-le") + b"\0\0"
            node.add(Node(f"__substg1.0_{tag:08X}", data[:-2]))
            entries += struct.pack("<IIII", tag, 6, len(data), 0)
        elif kind == BINARY:
            node.add(Node(f"__substg1.0_{tag:08X}", bytes(value)))
            entries += struct.pack("<IIII", tag, 6, len(value), 0)
        elif kind == LONG:
            entries += struct.pack("<IIiI", tag, 6, int(value), 0)
        elif kind == SYSTIME:
            entries += struct.pack("<IIQ", tag, 6, _filetime(value))
    node.add(Node("__properties_version1.0", bytes(entries)))


def outlook_msg(sender: str, sender_name: str, to: str, subject: str, body: str, sent: datetime,
                message_id: str, in_reply_to: str | None = None, attachments: dict[str, bytes] | None = None) -> bytes:
    """An email as Outlook saves it (.msg, Unicode properties). `sent` carries its zone."""
    _LINKS.clear()
    root = Node("Root Entry")
    attachments = attachments or {}
    props: dict[int, object] = {
        0x001A001F: "IPM.Note", 0x0037001F: subject, 0x0E1D001F: subject, 0x1000001F: body,
        0x0C1A001F: sender_name, 0x0C1F001F: sender, 0x0C1E001F: "SMTP",
        0x0042001F: sender_name, 0x0065001F: sender, 0x0064001F: "SMTP",
        0x1035001F: message_id, 0x00390040: sent, 0x0E060040: sent, 0x0E070003: 1,
    }
    if in_reply_to:
        props[0x1042001F] = in_reply_to
    header = struct.pack("<8sIIII8s", b"\0" * 8, 1, len(attachments), 1, len(attachments), b"\0" * 8)
    _properties(root, header, props)
    names = root.add(Node("__nameid_version1.0"))
    for stream in ("__substg1.0_00020102", "__substg1.0_00030102", "__substg1.0_00040102"):
        names.add(Node(stream, b""))
    recipient = root.add(Node("__recip_version1.0_#00000000"))
    _properties(recipient, b"\0" * 8, {0x3001001F: to, 0x3003001F: to, 0x3002001F: "SMTP", 0x0C150003: 1,
                                        0x39FE001F: to, 0x30000003: 0})
    for n, (name, data) in enumerate(attachments.items()):
        attachment = root.add(Node(f"__attach_version1.0_#{n:08X}"))
        _properties(attachment, b"\0" * 8, {0x3707001F: name, 0x3704001F: name[:12], 0x37010102: data,
                                             0x37050003: 1, 0x0E200003: len(data), 0x0E210003: n})
    return compound_file(root)
