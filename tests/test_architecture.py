"""The shape the brief asks for, checked: the domain is pure, adapters do not reach into each
other, only the entry point knows the command line, and the run's steps read only what came
before them."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path

import pytest

import servicebook
from servicebook.jobs.pipeline import STEPS, Results

PACKAGE = Path(servicebook.__file__).parent

# Layers, and what each may import from the package (beyond itself and the shared ground below).
SHARED = {"text", "errors", "definition", "resources", "palette", "edits", "domain"}
ALLOWED = {
    "domain": {"text", "errors", "definition", "resources"},
    "render": {"jobs"},                                   # result types; words come from text
    "sheets": set(),                                      # openpyxl sheet layouts, no file I/O
    "xlsx": {"sheets"},                                   # the file: reads, the part writer
    "mail": {"sidecar", "keyring_lookup"},                # transports and the ledger
    "database": set(),                                    # the company database (SQLAlchemy)
    "vault": {"sidecar", "keyring_lookup"},
    "keyring_lookup": set(),                              # the operating system's keyring, read
    "addin": {"jobs", "render", "sheets", "demo", "sidecar"},   # the ribbon drives jobs, like the CLI
    "cli": {"jobs", "render", "demo", "batch", "progress"},
    "jobs": {"xlsx", "mail", "sheets", "vault", "sidecar", "progress", "demo", "addin", "batch", "database"},
    "demo": {"sheets"},
}
# A setup command of one adapter, run from the command line: nothing to orchestrate.
SETUP_EDGES = {("cli", "addin.install"), ("cli", "addin.selftest"), ("cli", "mail.secrets")}
# The domain stays plain Python on plain data.
ADAPTER_LIBRARIES = {"openpyxl", "lxml", "xlwings", "exchangelib", "requests", "sqlite3", "smtplib", "click",
                     "pandas", "jinja2", "msal", "cryptography", "keyring", "zipfile", "imaplib",
                     "imapclient", "extract_msg", "email", "sqlalchemy", "psycopg"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _layer(path: Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def _imports(path: Path) -> list[str]:
    """Every module the file imports, at the top or inside a function."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def _ours(name: str) -> str | None:
    """The part of the package a name is in; None for libraries and the package's own metadata."""
    inner = name.removeprefix("servicebook.") if name.startswith("servicebook.") else None
    return None if inner is None or inner.startswith("__") else inner


def test_each_layer_imports_only_what_it_may():
    wrong = []
    for path in _modules():
        layer = _layer(path)
        allowed = ALLOWED.get(layer)
        if allowed is None:
            continue   # shared ground: checked below
        for name in _imports(path):
            inner = _ours(name)
            if inner is None:
                continue
            target = inner.split(".")[0]
            shared = SHARED if layer != "domain" else set()
            setup = any(inner.startswith(edge) for lay, edge in SETUP_EDGES if lay == layer)
            if not (target == layer or target in allowed | shared or setup):
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert wrong == []


def test_the_domain_and_the_renderers_use_no_adapter_library():
    wrong = [f"{p.relative_to(PACKAGE)} imports {name}" for p in _modules() if _layer(p) in ("domain", "render")
             for name in _imports(p) if name.split(".")[0] in ADAPTER_LIBRARIES]
    assert wrong == []


def test_the_shared_ground_imports_no_layer_above_it():
    shared = [p for p in _modules() if _layer(p) in SHARED - {"domain"}]
    assert len(shared) == 6
    wrong = [f"{p.relative_to(PACKAGE)} imports {name}" for p in shared for name in _imports(p)
             if (_ours(name) or "").split(".")[0] in set(ALLOWED) - {"domain"}]
    assert wrong == []


def test_only_the_entry_point_knows_the_command_line():
    users = sorted(str(p.relative_to(PACKAGE)) for p in _modules() if _layer(p) != "cli"
                   and any((_ours(name) or "").startswith("cli") for name in _imports(p)))
    assert users == ["__main__.py"]


def test_nothing_captures_what_a_job_prints():
    # Jobs return results; a renderer that needed to capture stdout would mean a job printed.
    users = [p.name for p in _modules() if "redirect_stdout" in p.read_text(encoding="utf-8")]
    assert users == []


def test_every_step_reads_only_steps_before_it():
    seen: set[str] = set()
    for step in STEPS:
        assert set(step.reads) <= seen, (step.name, step.reads)
        assert step.name in Results.__dataclass_fields__, step.name
        seen.add(step.name)
    assert [s.name for s in STEPS] == ["intake", "number", "assign", "validate", "sla", "care"]


def test_a_misspelt_column_key_raises_instead_of_reading_empty(tmp_path):
    from servicebook.definition import definition
    from servicebook.demo.build import DemoSize, generate, write_demo
    from servicebook.xlsx.read import load_book

    path = tmp_path / "客服工作簿.xlsx"
    write_demo(path, generate(datetime(2024, 6, 3, 9), DemoSize(records=120, customers=40), seed=1),
               definition())
    records = load_book(path, definition()).table("records")
    assert len(records.column("ticket_no")) == 120
    for call in (records.column, records.has):
        with pytest.raises(KeyError, match="ticket_number"):
            call("ticket_number")
