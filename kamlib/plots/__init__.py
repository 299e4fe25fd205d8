"""Figures of the playbook, one submodule per chapter. Each function takes ``ax=None`` and returns the Axes."""
