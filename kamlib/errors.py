"""Errors the user can fix, in one dependency-free module.

``SettingsError`` lives here (not in ``kamlib.settings``) so that the domain modules,
which ``kamlib.settings`` imports to compose the settings, can raise it without a
circular import. ``kamlib.settings`` adds the file and the key to the message.
"""

from __future__ import annotations


class SettingsError(ValueError):
    """A settings file or value that cannot be used; the message says how to fix it.

    ``located`` is true once the message names where the problem is (file and key).
    """

    located = False
