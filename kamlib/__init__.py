"""kamlib: the library behind the KAM Playbook.

Modules, one per idea of the playbook (import them explicitly, e.g.
``from kamlib import selection``):

- ``schema``      the tables and columns of the data model (the data dictionary)
- ``data``        loading and checking data: bundled sample, CSV folder, Excel, Parquet
- ``generate``    the seeded sample-data generator (a fictional niacin manufacturer)
- ``settings``    the decisions (weights, thresholds, schedules, capacities) as typed settings
- ``selection``   choosing key customers: concentration, pyramid, ABC, scorecard, profitability
- ``costing``     cost to serve by time-driven activity-based costing (Kaplan & Anderson)
- ``segmentation`` price/service/technology sensitivity with evidence
- ``rebates``     rebate schedules and price levers
- ``service``     relationship levels, service packages, visit plans, complaints, objectives
- ``review``      the periodic review: account health, decay alerts, keep / develop /
                  downgrade / drop, new candidates, migration (a package)
- ``plots``       figures (each takes ``ax=None`` and returns the Axes)
- ``notebook``    the one setup call every chapter makes
- ``reports``     per-customer account-plan reports (papermill batch)
- ``runner``      executing chapters, learners' copies, the demo
- ``cli``         the ``kam`` command
"""

__version__ = "0.1.0"
