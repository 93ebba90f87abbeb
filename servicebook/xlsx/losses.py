"""What an openpyxl load and save would silently drop from a workbook, found by reading its parts.

openpyxl keeps cells, styles, defined names, tables, standard validation and conditional
formatting, images, charts, pivot tables and external links. It drops everything below.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

from servicebook.text import t

# Worksheet extensions (openpyxl/xml/constants.py EXT_TYPES) by what users call them.
_SHEET_EXTENSIONS = {
    "{78C0D931-6437-407D-A8EE-F0AAD7539E65}": "cf2010",
    "{CCE6A557-97BC-4B89-ADB6-D9C93CAAB3DF}": "dv2010",
    "{05C60535-1F16-4FD2-B633-F4F36F0B64E0}": "sparklines",
    "{A8765BA9-456A-4DAB-B4F3-ACF838C121DE}": "slicers",
    "{3A4CF648-6AED-40F4-86FF-DC5316D8AED3}": "slicers",
    "{FC87AEE6-9EDD-4A0A-B7FB-166176984837}": "protected_ranges",
    "{01252117-D84E-4E92-8308-4BE1C098FCBB}": "ignored_errors",
    "{F7C9EE02-42E1-4005-9D12-6889AFFD525C}": "web_extension",
    "{7E03D99C-DC04-49D9-9315-930204A7B6E9}": "timelines",
    "{B025F937-C7B1-47D3-B67F-A62EFF666E3E}": "cf2010",  # a data bar's link to its 2010 part
}
_PART_KINDS = (
    (re.compile(r"^xl/slicers/"), "slicers"),
    (re.compile(r"^xl/slicerCaches/"), "slicers"),
    (re.compile(r"^xl/timelines/"), "timelines"),
    (re.compile(r"^xl/threadedComments/"), "threaded_comments"),
    (re.compile(r"^xl/comments\d*\.xml$"), "comment_format"),
    (re.compile(r"^customUI/customUI(14)?\.xml$"), "ribbon"),
    (re.compile(r"^xl/ctrlProps/"), "form_controls"),
    (re.compile(r"^xl/activeX/"), "activex"),
    (re.compile(r"^xl/embeddings/"), "embedded_objects"),
)
_SHAPE = re.compile(rb"<(?:\w+:)?(?:sp|grpSp|cxnSp)[\s>]")
_EXT_URI = re.compile(rb'<(?:\w+:)?ext\b[^>]*\buri="(\{[0-9A-Fa-f-]+\})"')
_SHEET_EXTLST = re.compile(rb"<(?:\w+:)?extLst>(.*?)</(?:\w+:)?extLst>\s*</(?:\w+:)?worksheet>", re.S)


def find_losses(path: Path, keep_vba: bool) -> list[str]:
    """Chinese descriptions of what would be lost, one per kind, with counts; empty when nothing."""
    counts: Counter[str] = Counter()
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            for pattern, kind in _PART_KINDS:
                if pattern.search(name):
                    counts[kind] += 1
            if name == "xl/vbaProject.bin" and not keep_vba:
                counts["vba"] += 1
            if re.match(r"^xl/drawings/drawing\d+\.xml$", name):
                counts["shapes"] += len(_SHAPE.findall(archive.read(name)))
            elif re.match(r"^xl/worksheets/sheet\d+\.xml$", name):
                _count_sheet_extensions(archive.read(name), counts)
    return [t(f"losses.{kind}", count=count) for kind, count in sorted(counts.items()) if count]


def _count_sheet_extensions(xml: bytes, counts: Counter[str]) -> None:
    tail = xml[-200_000:]  # extLst is the worksheet's last child
    block = _SHEET_EXTLST.search(tail)
    if not block:
        return
    for uri in _EXT_URI.findall(block.group(1)):
        counts[_SHEET_EXTENSIONS.get(uri.decode().upper(), "unknown_extension")] += 1
