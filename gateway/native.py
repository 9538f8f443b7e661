"""An optional compiled build of the hot, strictly typed modules (mypyc), with the source as fallback.

    gateway native build    # `make native`: needs a C compiler and the Python headers
    gateway native status   # which modules are in use: compiled or source
    gateway native clean    # remove the compiled modules

`build` compiles the modules in `MODULES` with mypyc into extension modules beside their sources
(plus one shared library, `gateway/native__mypyc*.so`), and writes `gateway/native.json` with the
SHA-256 of each source it compiled. Python prefers an extension module to a source file of the same
name, so from then on the compiled modules are imported. Nothing else changes: the same code,
the same behaviour, the same types.

`guard()`, run when `gateway` is imported, keeps that safe: when a source no longer matches the
hash recorded at build time (the code was edited after the build), or when `GATEWAY_PURE=1` is set,
every module in `MODULES` is loaded from its source instead. It is all or nothing because compiled
modules of one build call each other directly, bypassing the import system.

Without a build (a fresh checkout, a machine without a compiler) everything runs from source.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PACKAGE_DIR = Path(__file__).resolve().parent
STAMP = PACKAGE_DIR / "native.json"
GROUP = "gateway.native"  # the shared library: gateway/native__mypyc.<abi>.so
PURE_ENV = "GATEWAY_PURE"

# The modules compiled by `build`: pure, strictly typed, and where the time of `gateway translate` goes.
MODULES: tuple[str, ...] = (
    "gateway.formats.x12.runs",
    "gateway.formats.x12.model",
    "gateway.formats.x12.reader",
    "gateway.formats.x12.envelope",
    "gateway.mapping.compile",
    "gateway.mapping.conversions",
    "gateway.mapping.engine",
    "gateway.mapping.targets.common",
    "gateway.mapping.targets.commitment",
    "gateway.mapping.targets.shipment",
    "gateway.mapping.targets.shipment_orders",
    "gateway.mapping.targets.json_lines",
    "gateway.mapping.apply",
    "gateway.kit.ids",
    "gateway.pipeline.translate",
    "gateway.formats.tree",
    "gateway.formats.edifact.model",
    "gateway.formats.edifact.reader",
    "gateway.formats.edifact.envelope",
    "gateway.formats.edifact.tree",
    "gateway.mapping.tree_paths",
    "gateway.mapping.tree_engine",
    "gateway.mapping.edifact_paths",
    "gateway.mapping.edifact_maps",
    "gateway.pipeline.edifact_translate",
    "gateway.pipeline.shared_read",
)


def source_of(module: str) -> Path:
    return PACKAGE_DIR.parent.joinpath(*module.split(".")).with_suffix(".py")


def compiled_of(module: str) -> list[Path]:
    src = source_of(module)
    return [
        src.with_name(src.stem + suffix)
        for suffix in importlib.machinery.EXTENSION_SUFFIXES
        if src.with_name(src.stem + suffix).exists()
    ]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stamp() -> dict[str, str]:
    try:
        data = json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def unlisted(stamp: dict[str, str]) -> list[str]:
    """Modules that the build recorded in `stamp` compiled but `MODULES` no longer lists, whose
    extension modules are still there: Python would import them before their sources, so they are
    stale by definition (they are loaded from source, and `clean` removes them)."""
    return [m for m in stamp if m not in MODULES and compiled_of(m)]


def state(stamp: dict[str, str] | None = None) -> tuple[str, str]:
    """("compiled" | "source", why), by the build's record (`native.json`, or `stamp`)."""
    stamp = _stamp() if stamp is None else stamp
    built = [m for m in MODULES if compiled_of(m)]
    left = unlisted(stamp)
    if not built:
        return "source", "no compiled build (run `make native`)" + (
            f"; left from an earlier build: {', '.join(left)}" if left else ""
        )
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return "source", f"{PURE_ENV} is set"
    stale = [m for m in MODULES if stamp.get(m) != (_digest(source_of(m)) if source_of(m).exists() else None)]
    if stale or left or len(built) != len(MODULES):
        changed = ", ".join(stale + left) or "an incomplete build"
        return "source", f"the compiled build is stale ({changed}); run `make native` again"
    return "compiled", "built from the current sources"


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Finds the listed modules as their `.py` source, never their extension module."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        return importlib.util.spec_from_file_location(fullname, source_of(fullname))


def guard() -> str:
    """Load `MODULES` from source unless a complete, current compiled build exists; returns the mode."""
    stamp = _stamp()
    mode, _ = state(stamp)
    names = [*MODULES, *unlisted(stamp)]
    built = any(compiled_of(m) for m in names)
    if mode == "source" and built and not any(isinstance(f, _SourceFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourceFirst(names))
    return mode


def in_use() -> str:
    """ "compiled" when the imported engine is the compiled one, else "source"."""
    from gateway.mapping import engine

    return "source" if (engine.__file__ or "").endswith(".py") else "compiled"


def build() -> None:
    """Compile `MODULES` in place (mypyc; imported lazily: only this needs mypy, setuptools and cc)."""
    from mypyc.build import mypycify

    setup = importlib.import_module("setuptools").setup

    root = PACKAGE_DIR.parent
    os.chdir(root)
    paths = [str(source_of(m).relative_to(root)) for m in MODULES]
    clean()
    setup(
        name="gateway-native",
        packages=[],
        ext_modules=mypycify(paths, opt_level="3", group_name=GROUP),
        script_args=[
            *("--quiet", "build_ext", "--inplace"),
            *("--build-temp", "build/native", "--build-lib", "build/native"),
        ],
    )
    STAMP.write_text(
        json.dumps({m: _digest(source_of(m)) for m in MODULES}, indent=2) + "\n", encoding="utf-8"
    )


def clean() -> None:
    shared = [p for p in PACKAGE_DIR.glob("native__mypyc*") if p.suffix in (".so", ".pyd")]
    names = [*MODULES, *unlisted(_stamp())]
    for path in [p for m in names for p in compiled_of(m)] + shared:
        path.unlink()
    STAMP.unlink(missing_ok=True)
