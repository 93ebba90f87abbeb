"""The SpreadsheetML namespace and the one way the file adapter parses XML: no entities resolved,
no network (the parts were checked for a DTD before any read, see `inspect`)."""

from __future__ import annotations

from lxml import etree

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
Q = f"{{{NS}}}"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, PARSER)
