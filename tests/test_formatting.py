"""Numbers as a sales person reads them, in the company's currency and unit."""

import math

import numpy as np
import pytest

from kamlib import formatting as fmt
from kamlib import settings

EURKG = fmt.Company(name="X", currency="EUR", quantity_unit="kg")


def test_money_in_the_companys_currency():
    assert fmt.money(1_234_567, EURKG) == "EUR 1.23 m"
    assert fmt.money(45_600, EURKG) == "EUR 46 k"
    assert fmt.money(5_300, EURKG) == "EUR 5.3 k"
    assert fmt.money(12.5, EURKG) == "EUR 12.50"
    assert fmt.money(0, EURKG) == "EUR 0"
    assert fmt.money(-2_300, EURKG) == "-EUR 2.3 k"
    assert fmt.money(math.nan, EURKG) == "n/a" and fmt.money(None, EURKG) == "n/a"
    chf = fmt.Company(currency="CHF")
    assert fmt.money(1_234_567, chf) == "CHF 1.23 m"
    assert fmt.money(1_234_567, fmt.NEUTRAL) == "1.23 m"
    assert fmt.money(0, fmt.NEUTRAL) == "0"


def test_quantity_price_and_labels():
    assert fmt.quantity(12_500, EURKG) == "12.5 t"
    assert fmt.quantity(800, EURKG) == "800 kg"
    assert fmt.quantity(12_500, fmt.Company(quantity_unit="pcs")) == "12,500 pcs"
    assert fmt.quantity(12_500, fmt.NEUTRAL) == "12,500"
    assert fmt.quantity(math.nan, EURKG) == "n/a"
    assert fmt.unit_price(9.8, EURKG) == "EUR 9.80/kg"
    assert fmt.unit_price(9.8, fmt.Company(currency="$", quantity_unit="l")) == "$ 9.80/l"
    assert fmt.unit_price(9.8, fmt.NEUTRAL) == "9.80 per unit"
    assert fmt.money_label("m", EURKG) == "EUR m"
    assert fmt.money_label("m", fmt.NEUTRAL) == "m"
    assert fmt.money_label("", fmt.NEUTRAL) == "amount"
    assert fmt.quantity_label(fmt.NEUTRAL) == "units"
    assert fmt.price_label(EURKG) == "EUR/kg" and fmt.price_label(fmt.NEUTRAL) == "per unit"
    assert fmt.pct(0.153) == "15%"
    assert fmt.pct(0.153, 1) == "15.3%"
    assert fmt.amount(2387.25, EURKG) == "EUR 2,387.25"
    assert fmt.amount(2387.25, fmt.NEUTRAL) == "2,387.25"
    assert fmt.units(225, EURKG) == "225 kg" and fmt.units(225, fmt.NEUTRAL) == "225 units"


def test_older_names_use_the_current_company():
    with fmt.using(EURKG):
        assert fmt.eur(1_234_567) == "EUR 1.23 m"
        assert fmt.kg(12_500) == "12.5 t"
        assert fmt.price(9.8) == "EUR 9.80/kg"
    with fmt.using(fmt.NEUTRAL):
        assert fmt.eur(1_234_567) == "1.23 m"
        assert fmt.kg(800) == "800"
    with pytest.raises(TypeError, match="formatting.Company"):
        fmt.set_company("EUR")


def test_the_sample_company_only_on_the_sample(tmp_path):
    s = settings.Settings()
    assert settings.company_for(s, "sample") == fmt.SAMPLE_COMPANY
    other = settings.company_for(s, tmp_path)
    assert other == fmt.NEUTRAL
    assert other.name == "your company" and other.product_words == "the product"
    s2 = settings.replace(s, "company.currency", "CHF")
    assert settings.company_for(s2, tmp_path).currency == "CHF"
    assert settings.company_for(s2, "sample").currency == "CHF"  # what is set wins
    assert settings.company_for(s2, "sample").product == "niacin"


def test_company_section_read_and_checked(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[company]\nname = "Nordfeed AG"\ncurrency = "CHF"\nquantity_unit = "l"\n')
    s = settings.load(f)
    assert (s.company.name, s.company.currency, s.company.quantity_unit) == (
        "Nordfeed AG", "CHF", "l")
    f.write_text('company_name = "Old Style"\n')  # older files keep working
    assert settings.load(f).company.name == "Old Style"
    f.write_text('[company]\ncurrency = "EUROPEAN EURO"\n')
    with pytest.raises(settings.SettingsError, match="company.currency"):
        settings.load(f)


# ------------------------------------------------------------ texts: many numbers at once

_NUMBERS = np.concatenate([
    np.random.default_rng(7).normal(0, 1e5, 4000),
    np.random.default_rng(8).normal(0, 3, 4000),
    np.arange(-60, 61) / 2,            # exact halves: printf rounds them to even
    np.arange(-60, 61) / 20,
    [0.0, -0.0, 0.125, 1.005, 2.675, -0.04, -0.4, 0.049999999, 12345.4999999999,
     2.0 ** 53, -(2.0 ** 60), 1e300, -1e-300]])


@pytest.mark.parametrize("pattern", ["%.0f", "%.1f", "%.2f", "%.3f", "%f", "%d", "%+d",
                                 "%+.0f%%", "%.0f%%", "EUR %.2f m", "CHF %.0f k",
                                 "%+.0f points", "score %.0f/100", "%.0f t",
                                 "100%% of %.1f", "%s", "%5.1f"])
def test_texts_equal_printf_for_every_value(pattern):
    """formatting.texts gives exactly np.char.mod's text (printf's rounding, '-0',
    exact halves to even, huge values) for every format the reasons use, and falls
    back to it for formats it does not handle ('%s', a width)."""
    x = _NUMBERS
    if "f" in pattern.replace("of", ""):
        x = np.concatenate([x, [np.nan, np.inf, -np.inf]])
    got = fmt.texts(pattern, x)
    want = np.char.mod(pattern, x).astype(object)
    assert got.dtype == object and len(got) == len(x)
    bad = np.flatnonzero(got != want)
    assert not len(bad), [(x[i], got[i], want[i]) for i in bad[:5]]


def test_texts_known_answers_and_edges():
    t = fmt.texts
    assert list(t("%.0f", np.array([0.5, 1.5, 2.5, -0.4, -0.0]))) == ["0", "2", "2", "-0", "-0"]
    assert list(t("%+.0f%%", np.array([12.4, -3.6, 0.0]))) == ["+12%", "-4%", "+0%"]
    assert list(t("EUR %.2f m", np.array([1.234567, 0.005]))) == ["EUR 1.23 m", "EUR 0.01 m"]
    assert list(t("%d", np.array([3.7, -3.7, -0.5]))) == ["3", "-3", "0"]
    assert list(t("%d", np.array([1, 2, -3]))) == ["1", "2", "-3"]
    assert t("%.1f", np.array([], dtype=float)).tolist() == []
    assert all(isinstance(v, str) for v in t("%.1f", np.array([1.0, np.nan])))
