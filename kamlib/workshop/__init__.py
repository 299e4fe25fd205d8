"""Workshop mode: bring a company's data in, let a room agree on decisions, save them.

- :mod:`kamlib.workshop.template`: the Excel input template ``data/templates/kam_input.xlsx``
  generated from :mod:`kamlib.schema` (``kam data template``);
- :mod:`kamlib.workshop.app`: the ipywidgets app of ``notebooks/workshop.ipynb`` (the
  key-account list, segments, rebate schedule editor, "save the decisions");
- :mod:`kamlib.workshop.serve`: ``kam workshop --data PATH`` serves it with Voilà on
  127.0.0.1, with idle kernels culled.

The decisions the room saves are read by :mod:`kamlib.decisions` (``kam reports
--decisions FILE``).
"""
