"""Where the data folders shipped beside the code live.

An installed wheel carries `workbook/` and `templates/` inside the package; a source checkout
(editable install, tests) has them at the repository root.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir(name: str, packaged_as: str | None = None) -> Path:
    """`packaged_as`: the folder's name inside the package, where `name` is taken by code."""
    packaged = Path(str(resources.files("servicebook"))) / (packaged_as or name)
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"servicebook data folder {name!r} is missing from the installation")
