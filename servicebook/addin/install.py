"""`servicebook addin install`: the add-in into Excel's start-up folder, and the xlwings
configuration RunPython reads, so the buttons find this very Python environment.

The usual RunPython failures on users' machines are an interpreter it cannot find, a module it
cannot import (a PYTHONPATH missing, a OneDrive path) and conda environments (which need the conda
keys and an empty interpreter): the configuration written here names all of them explicitly.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

PROJECT = "servicebook"   # PROJECT_NAME in the add-in's xlwings module: the config file's name


def config_path(home: Path, platform: str) -> Path:
    """Where the add-in's xlwings module looks for the user configuration."""
    if platform == "darwin":
        return home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{PROJECT}.conf"
    return home / f".{PROJECT}" / f"{PROJECT}.conf"


def startup_folder(home: Path, platform: str) -> Path:
    if platform == "darwin":
        return home / "Library" / "Group Containers" / "UBF8T346G9.Office" / "User Content" / "Startup" / "Excel"
    return Path(os.environ.get("APPDATA", home / "AppData" / "Roaming")) / "Microsoft" / "Excel" / "XLSTART"


def this_environment() -> tuple[str | None, str, tuple[str, str] | None]:
    """(interpreter, PYTHONPATH, conda (path, env) or None) for the Python running now."""
    source_root = Path(__file__).resolve().parents[2]
    pythonpath = str(source_root) if (source_root / "pyproject.toml").exists() else ""
    prefix = Path(sys.prefix)
    if (prefix / "conda-meta").exists():
        base = Path(os.environ.get("CONDA_EXE", "")).parent.parent if os.environ.get("CONDA_EXE") else prefix
        return None, pythonpath, (str(base), prefix.name if base != prefix else "base")
    interpreter = Path(sys.executable)
    windowless = interpreter.with_name("pythonw.exe")
    return str(windowless if windowless.exists() else interpreter), pythonpath, None


def config_lines(platform: str, interpreter: str | None, pythonpath: str,
                 conda: tuple[str, str] | None) -> list[str]:
    suffix = "MAC" if platform == "darwin" else "WIN"
    lines = []
    if conda:
        lines += [f'"CONDA PATH","{conda[0]}"', f'"CONDA ENV","{conda[1]}"']
    elif interpreter:
        lines.append(f'"INTERPRETER_{suffix}","{interpreter}"')
    if pythonpath:
        lines.append(f'"PYTHONPATH","{pythonpath}"')
    return lines


def write_config(home: Path, platform: str, interpreter: str | None, pythonpath: str,
                 conda: tuple[str, str] | None) -> Path:
    target = config_path(home, platform)
    target.parent.mkdir(parents=True, exist_ok=True)
    # VBA reads the file in Windows' ANSI code page (GBK on a Chinese Windows), not UTF-8.
    encoding = "mbcs" if platform == "win32" and sys.platform == "win32" else "utf-8"
    target.write_text("\n".join(config_lines(platform, interpreter, pythonpath, conda)) + "\n", encoding=encoding)
    return target


def install(xlam: Path, home: Path | None = None, platform: str = sys.platform) -> tuple[Path, Path]:
    home = home or Path.home()
    folder = startup_folder(home, platform)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / xlam.name
    shutil.copy2(xlam, target)
    return target, write_config(home, platform, *this_environment())
