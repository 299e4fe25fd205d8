"""Workshop widgets, one submodule per chapter (ipywidgets imported only here)."""
