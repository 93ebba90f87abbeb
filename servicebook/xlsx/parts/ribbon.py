"""Putting the ribbon (customUI14.xml) into a saved .xlam/.xlsm package: the part, the package
relationship Office looks for, and nothing else touched."""

from __future__ import annotations

import os
from pathlib import Path

from servicebook.xlsx.parts.package import Package
from servicebook.xlsx.xml import REL_RIBBON

PART = "customUI/customUI14.xml"


def add_ribbon(path: Path, ribbon: Path) -> None:
    """Replace (or add) the package's 2010 ribbon, writing a new file and renaming it over the old."""
    package = Package(path)
    try:
        rels = package.rels("")
        for rel in rels.by_type(REL_RIBBON):
            rels.remove(rel)
        rels.add(REL_RIBBON, PART)
        package.put(PART, ribbon.read_bytes())
        package.put_rels("", rels)
        temp = path.with_name(path.name + ".tmp")
        package.save(temp)
    finally:
        package.close()
    os.replace(temp, path)

