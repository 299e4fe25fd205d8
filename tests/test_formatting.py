"""Numbers as a sales person reads them."""

import math

from kamlib import formatting as fmt


def test_eur():
    assert fmt.eur(1_234_567) == "EUR 1.23 m"
    assert fmt.eur(45_600) == "EUR 46 k"
    assert fmt.eur(5_300) == "EUR 5.3 k"
    assert fmt.eur(12.5) == "EUR 12.50"
    assert fmt.eur(0) == "EUR 0"
    assert fmt.eur(-2_300) == "-EUR 2.3 k"
    assert fmt.eur(math.nan) == "n/a" and fmt.eur(None) == "n/a"


def test_kg_pct_price():
    assert fmt.kg(12_500) == "12.5 t"
    assert fmt.kg(800) == "800 kg"
    assert fmt.pct(0.153) == "15%"
    assert fmt.pct(0.153, 1) == "15.3%"
    assert fmt.price(9.8) == "EUR 9.80/kg"
    assert fmt.kg(math.nan) == "n/a"
