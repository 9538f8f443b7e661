"""pyas2lib, loaded so that it works with OpenSSL 3.x versions that have two-digit parts.

pyas2lib does its cryptography with oscrypto 1.3.0 (the last release). When oscrypto loads
libcrypto it reads the library's version string with the pattern `\\d\\.\\d\\.\\d[a-z]*`, one digit
per part, so "OpenSSL 3.0.19" does not match and the import fails with
`LibraryNotFoundError: Error detecting the version of libcrypto`. Nothing else in oscrypto depends
on the version having one digit per part.

`load()` compiles that one oscrypto module (`oscrypto._openssl._libcrypto_cffi`, or the ctypes one
when cffi is absent) from its own source with the pattern widened to `\\d+\\.\\d+\\.\\d+[a-z]*` and
registers it under its own name before pyas2lib is first imported. When the module is already
loaded, or a later oscrypto no longer has the narrow pattern, the installed source is used as is.

Import pyas2lib only through this module:

    from gateway.channels.as2_compat import pyas2, pyas2_errors
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

NARROW = "'\\\\b(\\\\d\\\\.\\\\d\\\\.\\\\d[a-z]*)\\\\b'"
WIDE = "'\\\\b(\\\\d+\\\\.\\\\d+\\\\.\\\\d+[a-z]*)\\\\b'"


def backend_module() -> str:
    """The oscrypto module that reads the libcrypto version on this machine."""
    from oscrypto import ffi

    suffix = "cffi" if ffi() == "cffi" else "ctypes"
    return f"oscrypto._openssl._libcrypto_{suffix}"


def widen(source: str) -> str:
    """The module source with the version pattern accepting several digits per part."""
    return source.replace(NARROW, WIDE)


def load() -> ModuleType:
    """The libcrypto binding module, loaded with the widened version pattern (once per process)."""
    name = backend_module()
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.origin is None:
        raise ImportError(f"cannot find {name}")
    get_source = getattr(spec.loader, "get_source", None)
    source = get_source(name) if get_source is not None else None
    if not isinstance(source, str) or NARROW not in source:
        return importlib.import_module(name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        exec(compile(widen(source), spec.origin, "exec"), module.__dict__)  # noqa: S102
    except BaseException:
        del sys.modules[name]
        raise
    return module


load()

from pyas2lib import as2 as pyas2  # noqa: E402  (after load(), on purpose)
from pyas2lib import exceptions as pyas2_errors  # noqa: E402

__all__ = ["load", "pyas2", "pyas2_errors", "widen"]
