"""Numbers as a sales person reads them: EUR, tonnes, percentages.

Used by the notebooks and reports so that the same quantity always reads the same way.
"""

from __future__ import annotations

import math


def _nan(x) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def eur(x, decimals: int | None = None) -> str:
    """``eur(1234567) -> 'EUR 1.23 m'``; ``eur(5300) -> 'EUR 5.3 k'``; ``eur(12.5) -> 'EUR 12.50'``."""
    if _nan(x):
        return "n/a"
    x = float(x)
    if x == 0:
        return "EUR 0"
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a >= 1e6:
        return f"{sign}EUR {a / 1e6:.{2 if decimals is None else decimals}f} m"
    if a >= 1e4:
        return f"{sign}EUR {a / 1e3:.{0 if decimals is None else decimals}f} k"
    if a >= 1e3:
        return f"{sign}EUR {a / 1e3:.{1 if decimals is None else decimals}f} k"
    return f"{sign}EUR {a:,.{2 if decimals is None else decimals}f}"


def kg(x) -> str:
    """``kg(12500) -> '12.5 t'``; ``kg(800) -> '800 kg'``."""
    if _nan(x):
        return "n/a"
    x = float(x)
    if abs(x) >= 1000:
        return f"{x / 1000:,.1f} t"
    return f"{x:,.0f} kg"


def pct(x, decimals: int = 0) -> str:
    """A fraction as a percentage: ``pct(0.153) -> '15%'``."""
    if _nan(x):
        return "n/a"
    return f"{100 * float(x):.{decimals}f}%"


def price(x) -> str:
    """A price per kg: ``price(9.8) -> 'EUR 9.80/kg'``."""
    if _nan(x):
        return "n/a"
    return f"EUR {float(x):.2f}/kg"
