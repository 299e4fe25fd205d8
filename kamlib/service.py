"""(stub: being written)"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSettings:
    """Settings of this module (stub)."""
