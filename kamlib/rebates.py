"""(stub: being written)"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RebateSettings:
    """Settings of this module (stub)."""
