"""Safe file names and environment errors, without running a batch (fast).

- kamlib.paths: slugs of ids and names with known answers; unique names (``a/b`` and
  ``a b``; ``C1`` and ``c1`` where case does not count); every path inside the folder,
  also against ``..``, absolute paths and a symbolic link that points out;
- calendars for account managers whose names are paths;
- settings files in other encodings: UTF-8 with a BOM is read, Windows-1252 and UTF-16
  are refused with a sentence naming the file and the encoding;
- the self-contained check looks at markup, not at escaped text;
- ``kam data check sample`` next to a ``./sample`` folder says it is ambiguous;
- the lock on a folder: held, refused with its holder, stale recovered (with what the
  dead batch left), released only by its owner.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from kamlib import batch_guard as guard
from kamlib import calendar_export, cli, paths, settings
from kamlib import report_html as H

HOSTILE = ["../../victim", "a/b", "a b", "x; rm -rf $(echo pwned) `id` |&",
           "../../../tmp/x/pwned", "/etc/passwd", "..", ".", "", "\x00\n\t"]


# ------------------------------------------------------------------------ kamlib.paths


def test_safe_ids_are_kept_and_others_become_slugs_with_a_hash():
    assert paths.key_part("C0003") == "C0003"
    assert paths.key_part("C-12_b") == "C-12_b"
    assert paths.key_part("a/b") == f"a-b-{paths.digest('a/b')}"
    assert paths.key_part("a b") == f"a-b-{paths.digest('a b')}"
    assert paths.key_part("../../victim") == f"victim-{paths.digest('../../victim')}"
    assert paths.key_part("") == f"id-{paths.digest('')}"
    assert paths.digest("a/b") == "c14cddc0"  # sha256("a/b"), first 8 hex digits
    assert paths.slug("Ben Ødegård") == "ben-odegard"
    assert paths.slug("Galdor Feed A.Ş.") == "galdor-feed-a-s"
    assert paths.slug("") == "unnamed"
    assert paths.safe_name("C0003", "Nordfeed Premix GmbH", suffix=".html") == \
        "C0003_nordfeed-premix-gmbh.html"


def test_every_hostile_id_gives_a_plain_unique_name_inside_the_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    taken: set = set()
    got = [paths.safe_path(out, k, "Näme / with ../ parts", suffix=".html", taken=taken)
           for k in HOSTILE]
    assert len({p.name.casefold() for p in got}) == len(HOSTILE)
    for p in got:
        assert p.parent == out.resolve()
        assert all(c.isalnum() or c in "-_." for c in p.name), p.name
        assert not p.name.startswith(".")


def test_names_differing_only_in_case_get_different_files():
    taken: set = set()
    a = paths.safe_name("C1", "Acme", suffix=".html", taken=taken)
    b = paths.safe_name("c1", "ACME", suffix=".html", taken=taken)
    assert a == "C1_acme.html"
    assert b == f"c1_acme-{paths.digest(('c1', 'ACME'))}.html"


def test_inside_refuses_escapes_and_links_out(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for bad in ("../x.html", "/etc/passwd", "a/../../x", "."):
        with pytest.raises(paths.UnsafePathError, match="outside the output folder"):
            paths.inside(out, bad)
    (out / "failed").symlink_to(tmp_path)  # a link in the folder pointing out of it
    with pytest.raises(paths.UnsafePathError):
        paths.safe_path(out, "C1", suffix=".ipynb", folder="failed")
    assert paths.inside(out, "C1_x.html") == out.resolve() / "C1_x.html"


def test_calendars_of_managers_named_like_paths_stay_in_the_folder(tmp_path):
    visits = pd.DataFrame({
        "account_manager": ["../../evil", "a/b", "A/B", "Ben Ødegård"],
        "customer_id": ["C1", "C2", "C3", "C4"],
        "date": pd.to_datetime(["2026-01-05"] * 4),
        "visit_type": ["visit"] * 4, "purpose": ["review"] * 4})
    out = tmp_path / "cal"
    written = calendar_export.write_ics(visits, out)
    assert len(written) == 4 and len({p.name.casefold() for p in written}) == 4
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    assert "visits_2026_ben-odegard.ics" in {p.name for p in written}
    assert not (tmp_path / "evil.ics").exists()
    assert all(p.resolve().parent == out.resolve() for p in written)
    # the manager's real name is in the file
    evil = next(p for p in written if "evil" in p.name)
    assert "../../evil" in evil.read_text(encoding="utf-8")


# --------------------------------------------------------------------- settings files


def test_settings_in_utf8_with_a_bom_are_read(tmp_path):
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbf" + 'company_name = "Café Müller"\n'.encode())
    assert settings.load(p).company_name == "Café Müller"


def test_settings_in_windows_1252_are_refused_with_the_encoding_and_line(tmp_path):
    p = tmp_path / "ansi.toml"
    p.write_bytes('# settings\ncompany_name = "Café Müller"\n'.encode("cp1252"))
    with pytest.raises(settings.SettingsError) as e:
        settings.load(p)
    msg = str(e.value)
    assert str(p) in msg and "Windows-1252" in msg and "line 2" in msg
    assert "0xE9" in msg and "save it as UTF-8" in msg


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_settings_in_utf16_are_refused(tmp_path, encoding):
    p = tmp_path / "u16.toml"
    p.write_bytes('company_name = "Café"\n'.encode(encoding))
    with pytest.raises(settings.SettingsError, match="UTF-16") as e:
        settings.load(p)
    assert str(p) in str(e.value)


def test_kam_settings_show_on_a_windows_file_is_a_sentence(tmp_path, capsys):
    p = tmp_path / "ansi.toml"
    p.write_bytes('company_name = "Caf\xe9"\n'.encode("latin-1"))
    assert cli.main(["settings", "show", "--path", str(p)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"kam: {p}: the settings file is not UTF-8")
    assert "Traceback" not in err


# ------------------------------------------------------------ self-contained check


def test_escaped_text_with_javascript_is_not_markup():
    for text in ("src=javascript:alert(1)", "href=http://example.com/x",
                 "a onclick=steal() b", "style='background:url(http://x)'"):
        page = H.document("t", H.tag("p", text))
        assert H.remote_resources(page) == [], text
    # the same in markup is still found
    assert H.remote_resources(H.document("t", '<a href="javascript:x">y</a>'))
    assert H.remote_resources(H.document("t", '<img alt="a>b" src="http://x/y.png">'))
    assert H.remote_resources(H.document("t", "<a href=javascript:x>y</a>"))


# ----------------------------------------------------------------------------- CLI


def test_data_check_sample_next_to_a_sample_folder_is_ambiguous(tmp_path, monkeypatch,
                                                                capsys):
    (tmp_path / "sample").mkdir()
    monkeypatch.chdir(tmp_path)
    assert cli.main(["data", "check", "sample"]) == 2
    err = capsys.readouterr().err
    assert "ambiguous" in err and "./sample" in err


def test_data_check_sample_elsewhere_checks_the_bundled_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli._sample_is_ambiguous("sample") == ""


# ------------------------------------------------------------------------ the lock


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_lock_refuses_a_second_holder_and_names_the_first(tmp_path):
    with guard.acquire(tmp_path) as lock:
        info = json.loads((tmp_path / guard.LOCK_NAME).read_text())
        assert info["pid"] == os.getpid() and info["token"] == lock.info["token"]
        with pytest.raises(guard.FolderError, match=f"process {os.getpid()} of"):
            guard.acquire(tmp_path)
    assert not (tmp_path / guard.LOCK_NAME).exists()


def test_a_stale_lock_is_recovered_with_what_it_left(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    left_tmp = Path(guard.private_tmpdir())
    (left_tmp / "portfolio.pkl").write_bytes(b"customer data")
    assert oct(left_tmp.stat().st_mode & 0o777) == "0o700"
    half = out / ".C1_x.html.abc123.tmp"
    half.write_text("half a report")
    mine = out / "notes.tmp"  # not one of the batch's temporary names: kept
    mine.write_text("x")
    import socket

    (out / guard.LOCK_NAME).write_text(json.dumps(
        {"pid": _dead_pid(), "host": socket.gethostname(), "token": "old",
         "tmpdir": str(left_tmp)}))
    lock = guard.acquire(out)
    try:
        assert lock.recovered["token"] == "old"
        assert not left_tmp.exists() and not half.exists() and mine.exists()
        assert str(left_tmp) in lock.cleaned and str(half) in lock.cleaned
    finally:
        lock.release()


def test_a_lock_of_another_host_is_never_taken(tmp_path):
    (tmp_path / guard.LOCK_NAME).write_text(json.dumps(
        {"pid": _dead_pid(), "host": "some-other-host", "token": "x"}))
    with pytest.raises(guard.FolderError, match="some-other-host.*delete"):
        guard.acquire(tmp_path)


def test_release_leaves_a_lock_that_is_not_ours(tmp_path):
    lock = guard.acquire(tmp_path)
    (tmp_path / guard.LOCK_NAME).write_text(json.dumps({"pid": 1, "token": "other"}))
    lock.release()
    assert (tmp_path / guard.LOCK_NAME).exists()


def test_os_errors_become_sentences():
    import errno

    full = OSError(errno.ENOSPC, "No space left on device")
    assert guard.is_disk_full(full)
    text = guard.describe_os_error(full, "writing out/reports.json")
    assert text == ("writing out/reports.json failed (No space left on device): the "
                    "disk is full: free some space (`df -h` shows how much is left)")
    ro = guard.describe_os_error(OSError(errno.EROFS, "Read-only file system"), "x")
    assert "read-only" in ro
