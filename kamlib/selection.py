"""(stub: being written)"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SelectionSettings:
    """Settings of this module (stub)."""
