"""The settings file: defaults, round trip, clear refusals."""

from __future__ import annotations

import pytest

from kamlib import settings
from kamlib.settings import Settings, SettingsError


def test_missing_file_gives_defaults(tmp_path):
    assert settings.load(tmp_path / "nope.toml") == Settings()
    assert settings.load(None) == Settings()


def test_round_trip_through_the_file(tmp_path):
    s = settings.replace(Settings(), "period.analysis_year", 2024)
    s = settings.replace(s, "company_name", "Acme Vitamins")
    p = settings.save(s, tmp_path / "kam.toml")
    back = settings.load(p)
    assert back == s
    assert back.period.analysis_year == 2024
    assert back.period.years == [2020, 2021, 2022, 2023, 2024]
    assert not (tmp_path / "kam.toml.tmp").exists()


def test_default_settings_round_trip_every_section():
    s = Settings()
    assert settings.from_dict(settings.to_dict(s)) == s


def test_keys_left_out_take_defaults(tmp_path):
    p = tmp_path / "kam.toml"
    p.write_text("[period]\nanalysis_year = 2023\n")
    s = settings.load(p)
    assert s.period.analysis_year == 2023
    assert s.period.history_years == Settings().period.history_years
    assert s.selection == Settings().selection


def test_unknown_key_names_the_closest(tmp_path):
    p = tmp_path / "kam.toml"
    p.write_text("[period]\nanalysis_yaer = 2023\n")
    with pytest.raises(SettingsError) as e:
        settings.load(p)
    msg = str(e.value)
    assert "kam.toml" in msg and "period.analysis_yaer" in msg and "analysis_year" in msg


def test_wrong_type_is_refused(tmp_path):
    p = tmp_path / "kam.toml"
    p.write_text('[period]\nanalysis_year = "last year"\n')
    with pytest.raises(SettingsError, match="'period.analysis_year' must be a whole number, got 'last year'"):
        settings.load(p)


def test_invalid_value_is_refused_with_the_rule():
    with pytest.raises(SettingsError, match="history_years must be at least 1"):
        settings.replace(Settings(), "period.history_years", 0)


def test_broken_toml_says_how_to_recover(tmp_path):
    p = tmp_path / "kam.toml"
    p.write_text("[period\nanalysis_year = 2023\n")
    with pytest.raises(SettingsError, match="delete the file to start again"):
        settings.load(p)


def test_replace_unknown_section():
    with pytest.raises(SettingsError, match="Did you mean 'period'"):
        settings.replace(Settings(), "perod.analysis_year", 2020)


def test_committed_settings_file_is_valid():
    """The project's own settings file loads (it is what the chapters and reports use)."""
    s = settings.load(settings.DEFAULT_SETTINGS_FILE)
    assert isinstance(s, Settings)


def test_cli_settings_init_and_show(tmp_path, capsys):
    from kamlib import cli

    p = tmp_path / "s.toml"
    assert cli.main(["settings", "init", "--path", str(p)]) == 0
    assert settings.load(p) == Settings()
    assert cli.main(["settings", "init", "--path", str(p)]) == 1  # no silent overwrite
    assert cli.main(["settings", "show", "--path", str(p)]) == 0
    assert "analysis_year = 0" in capsys.readouterr().out  # 0 = from the data


def test_section_rule_errors_name_the_file_and_key(tmp_path):
    p = tmp_path / "kam.toml"
    p.write_text("[period]\nhistory_years = 0\n")
    with pytest.raises(SettingsError) as e:
        settings.load(p)
    assert str(e.value).startswith(f"{p}: [period]")
    with pytest.raises(SettingsError, match=r"\[rebates\.default_schedule\]"):
        settings.replace(Settings(), "rebates.default_schedule", "no such schedule")
