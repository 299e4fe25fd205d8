"""Numbers as a sales person reads them: money, quantities, percentages.

Used by the notebooks and reports so that the same quantity always reads the same way.
The currency and the quantity unit are the company's (settings ``[company]``): a
:class:`Company` says them, and every helper takes ``company=`` (default: the current
company, set once per run with :func:`set_company` or for a block with :func:`using`)::

    from kamlib import formatting as fmt
    fmt.money(1_234_567, fmt.Company(currency="CHF"))   # 'CHF 1.23 m'
    fmt.quantity(12_500, fmt.Company(quantity_unit="kg"))  # '12.5 t'
    fmt.quantity(12_500, fmt.Company(quantity_unit="pcs"))  # '12,500 pcs'
    fmt.money(1_234_567)                                  # '1.23 m' (no currency set)

``eur()``, ``kg()`` and ``price()`` are the older names of :func:`money`,
:func:`quantity` and :func:`unit_price`: they use the current company too, so they say
EUR and kg only when the company's currency and unit are EUR and kg (the bundled sample).
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import re
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Company:
    """Who the analysis is for, as the text shows it (resolved: never ``None``).

    ``name``: the company's name ("your company" when not set); ``currency``: the code
    or sign written before amounts ("EUR", "CHF", "$"; ``""`` = none); ``quantity_unit``:
    the unit of the quantity columns ("kg", "l", "pcs"; ``""`` = none; "kg" is shown in
    tonnes from 1,000); ``product``: what it sells, in words ("niacin"; ``""`` = "the
    product").
    """

    name: str = "your company"
    currency: str = ""
    quantity_unit: str = ""
    product: str = ""

    @property
    def product_words(self) -> str:
        """The product in a sentence: ``"niacin"`` or ``"the product"``."""
        return self.product or "the product"


NEUTRAL = Company()
"""The company of data that is not the sample: no name, currency, unit or product."""

SAMPLE_COMPANY = Company(name="Auronia Nutrichem", currency="EUR", quantity_unit="kg",
                         product="niacin")
"""The fictional company of the bundled sample (worked example of the chapters)."""

_CURRENT: contextvars.ContextVar[Company] = contextvars.ContextVar(
    "kam_company", default=NEUTRAL)


def current_company() -> Company:
    """The company the helpers use when none is passed."""
    return _CURRENT.get()


def set_company(company: Company) -> None:
    """Make ``company`` the current one (the chapters and reports do it once per run)."""
    if not isinstance(company, Company):
        raise TypeError(f"set_company takes a formatting.Company, got {company!r}")
    _CURRENT.set(company)


@contextlib.contextmanager
def using(company: Company):
    """``with fmt.using(c): ...``: ``c`` is the current company inside the block."""
    token = _CURRENT.set(company)
    try:
        yield company
    finally:
        _CURRENT.reset(token)


def _nan(x) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def _company(company: Company | None) -> Company:
    return current_company() if company is None else company


def money(x, company: Company | None = None, decimals: int | None = None) -> str:
    """An amount in the company's currency, rounded as a sales person says it.

    ``money(1234567) -> 'EUR 1.23 m'``; ``money(5300) -> 'EUR 5.3 k'``;
    ``money(12.5) -> 'EUR 12.50'`` (currency EUR); without a currency ``'1.23 m'``.
    """
    if _nan(x):
        return "n/a"
    cur = _company(company).currency
    pre = f"{cur} " if cur else ""
    x = float(x)
    if x == 0:
        return f"{pre}0"
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a >= 1e6:
        return f"{sign}{pre}{a / 1e6:.{2 if decimals is None else decimals}f} m"
    if a >= 1e4:
        return f"{sign}{pre}{a / 1e3:.{0 if decimals is None else decimals}f} k"
    if a >= 1e3:
        return f"{sign}{pre}{a / 1e3:.{1 if decimals is None else decimals}f} k"
    return f"{sign}{pre}{a:,.{2 if decimals is None else decimals}f}"


def amount(x, company: Company | None = None, decimals: int = 2) -> str:
    """An exact amount with the currency: ``amount(2387.25) -> 'EUR 2,387.25'``
    (``'2,387.25'`` without a currency). For worked calculations; :func:`money` rounds."""
    if _nan(x):
        return "n/a"
    cur = _company(company).currency
    return f"{cur} {float(x):,.{decimals}f}" if cur else f"{float(x):,.{decimals}f}"


def units(x, company: Company | None = None) -> str:
    """An exact quantity with the unit: ``units(225) -> '225 kg'`` (``'225 units'``
    without a unit). For worked calculations; :func:`quantity` rounds to tonnes."""
    if _nan(x):
        return "n/a"
    return f"{float(x):,.0f} {quantity_label(company)}"


def quantity(x, company: Company | None = None) -> str:
    """A quantity in the company's unit: ``'12.5 t'`` / ``'800 kg'`` for kg (tonnes from
    1,000 kg); ``'12,500 pcs'`` for another unit; ``'12,500'`` without a unit."""
    if _nan(x):
        return "n/a"
    unit = _company(company).quantity_unit
    x = float(x)
    if unit == "kg":
        if abs(x) >= 1000:
            return f"{x / 1000:,.1f} t"
        return f"{x:,.0f} kg"
    return f"{x:,.0f} {unit}" if unit else f"{x:,.0f}"


def unit_price(x, company: Company | None = None) -> str:
    """A price per unit: ``'EUR 9.80/kg'``; ``'9.80 per unit'`` without currency and unit."""
    if _nan(x):
        return "n/a"
    c = _company(company)
    amount = f"{c.currency} {float(x):.2f}" if c.currency else f"{float(x):.2f}"
    return f"{amount}/{c.quantity_unit}" if c.quantity_unit else f"{amount} per unit"


def money_label(scale: str = "", company: Company | None = None) -> str:
    """The unit of an axis or column of amounts: ``money_label("m") -> 'EUR m'``,
    ``money_label() -> 'EUR'``; without a currency ``'m'`` / ``'amount'``."""
    cur = _company(company).currency
    return " ".join(p for p in (cur, scale) if p) or "amount"


def quantity_label(company: Company | None = None) -> str:
    """The unit of an axis of quantities: ``'kg'``, ``'pcs'``, or ``'units'`` when unset."""
    return _company(company).quantity_unit or "units"


def thousands_label(company: Company | None = None) -> str:
    """The unit of a quantity divided by 1,000: ``'tonnes'`` for kg, ``'thousand pcs'``,
    ``'thousand units'`` when unset."""
    unit = _company(company).quantity_unit
    return "tonnes" if unit == "kg" else f"thousand {unit or 'units'}"


def tonne_divisor(company: Company | None = None, settings=None) -> float:
    """What to divide a quantity by for "per tonne" figures: 1,000 for kg (and for a
    unit that is not set or not a mass: "per thousand units"), 1 when the data is
    already in tonnes (``quantity_unit = "t"``). The unit is that of ``settings``
    (a :class:`kamlib.settings.Settings`: its ``[company]``) when it sets one, else
    ``company``'s (default: the current company)."""
    unit = getattr(getattr(settings, "company", None), "quantity_unit", "") or \
        _company(company).quantity_unit
    return 1.0 if unit in ("t", "tonne", "tonnes") else 1000.0


def per_tonne_label(company: Company | None = None) -> str:
    """The words after "complaints per": ``'tonne'`` for kg or t, else ``'thousand pcs'``
    / ``'thousand units'`` (the quantity divided by :func:`tonne_divisor`)."""
    unit = _company(company).quantity_unit
    return "tonne" if unit in ("kg", "t", "tonne", "tonnes") else f"thousand {unit or 'units'}"


def price_label(company: Company | None = None) -> str:
    """The unit of a price axis: ``'EUR/kg'``; ``'per unit'`` when neither is set."""
    c = _company(company)
    unit = c.quantity_unit or "unit"
    return f"{c.currency}/{unit}" if c.currency else f"per {unit}"


def pct(x, decimals: int = 0) -> str:
    """A fraction as a percentage: ``pct(0.153) -> '15%'``."""
    if _nan(x):
        return "n/a"
    return f"{100 * float(x):.{decimals}f}%"


def eur(x, decimals: int | None = None) -> str:
    """:func:`money` in the current company's currency (the older name)."""
    return money(x, None, decimals)


def kg(x) -> str:
    """:func:`quantity` in the current company's unit (the older name)."""
    return quantity(x)


def price(x) -> str:
    """:func:`unit_price` for the current company (the older name)."""
    return unit_price(x)


# ------------------------------------------------------------------ many numbers at once

_ONE_NUMBER = re.compile(r"^(?P<pre>(?:[^%]|%%)*)%(?P<plus>\+?)(?:\.(?P<dec>\d)f|(?P<f>f)|"
                         r"(?P<d>d))(?P<post>(?:[^%]|%%)*)$")


def texts(fmt: str, x) -> np.ndarray:
    """``fmt % v`` for every number of ``x``, as an object array: the same text as
    ``np.char.mod(fmt, x)`` (printf's rounding, ``-0`` for a negative value that rounds
    to zero) several times faster, for the formats the tables and reasons use: one
    ``%d``, ``%f``, ``%.Nf`` (N = 0-9) or ``%+`` of them, between literal text
    (``'EUR %.2f m'``, ``'%+.0f%%'``). Other formats, values that are not finite and
    the rare value that lies within rounding error of a half are formatted by
    ``np.char.mod`` itself, so the text never differs.

    Why: the reasons and evidence are built for tens of thousands of customers at once,
    and ``np.char.mod`` calls Python's ``%`` once per value (50,000 customers: 70 ms per
    column of text; this: about 20 ms for ``%.0f``, 50 ms for ``%.2f``).
    """
    x = np.asarray(x)
    m = _ONE_NUMBER.match(fmt)
    if m is None or x.dtype.kind not in "fiub" or x.ndim != 1:
        return np.char.mod(fmt, x).astype(object)
    if not x.size:
        return np.empty(0, dtype=object)
    pre, post = m["pre"].replace("%%", "%"), m["post"].replace("%%", "%")
    v = x.astype(float)
    with np.errstate(invalid="ignore", over="ignore"):
        return _texts(fmt, x, v, m, pre, post)


def _texts(fmt, x, v, m, pre, post) -> np.ndarray:
    if m["d"]:
        r = np.trunc(v)  # '%d' % 3.7 == '3', '%d' % -0.5 == '0'
        neg = r < 0
        dec = 0
    else:
        dec = 6 if m["f"] else int(m["dec"])
        y = v * 10.0 ** dec
        r = np.rint(y)  # round half to even, as printf on an exact half
        neg = np.signbit(v)
    finite = np.isfinite(v) & (np.abs(r) < 2.0 ** 52)
    if not m["d"]:
        # a value whose scaled form lies within rounding error of a half: printf decides
        # on the exact binary value, so leave it to np.char.mod
        near = np.abs(np.abs(y - np.trunc(y)) - 0.5) <= 1e-9 + np.abs(y) * 1e-12
        exact_half = finite & near & (dec == 0) & (y == np.trunc(y) + np.copysign(0.5, y))
        finite &= ~near | exact_half
    a = np.abs(np.where(finite, r, 0.0)).astype(np.int64)
    S = np.dtypes.StringDType()
    if dec:
        p = 10 ** dec
        digits = np.strings.add(np.strings.add((a // p).astype(S), "."),
                                np.strings.slice((a % p + p).astype(S), 1, None))
    else:
        digits = a.astype(S)
    sign = "+" if m["plus"] else ""
    out = np.strings.add(np.where(neg, "-", sign).astype(S), digits) if (
        m["plus"] or neg.any()) else digits
    if pre:
        out = np.strings.add(pre, out)
    if post:
        out = np.strings.add(out, post)
    out = out.astype(object)
    if not finite.all():
        bad = ~finite
        out[bad] = np.char.mod(fmt, x[bad]).astype(object)
    return out
