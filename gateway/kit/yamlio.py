"""Reading YAML (maps, partner configs) with libyaml's parser when PyYAML was built with it.

PyYAML's own parser is pure Python: reading the maps and partner files with it was a third of the
start-up of `gateway translate` (0.29 s of 0.75 s, measured with cProfile on the bench machine).
libyaml (`CSafeLoader`, in PyYAML's wheels) builds the same safe Python objects several times
faster. Without it the pure parser is used; both refuse the same non-safe tags.
"""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """`yaml.safe_load`, with libyaml's parser where available."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 (a safe loader)
