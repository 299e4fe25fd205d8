"""The periodic review of key accounts: health, decay alerts, keep / develop /
downgrade / drop, new candidates, migration, and the check against the truth.

Relationships decay by nature (Levitt); the review asks of every key account *why is
it key?* and answers from the data. One file per method:

- :mod:`kamlib.review.config`     the ``[review]`` settings (weights, scales, evidence
  minimums, thresholds);
- :mod:`kamlib.review.health`     account health 0-100 with its components and evidence
  (:func:`health`, :func:`health_trend`);
- :mod:`kamlib.review.decisions`  the review decision and its action for every key
  account (:func:`account_review`), and the customers that now qualify
  (:func:`new_candidates`);
- :mod:`kamlib.review.migration`  year-over-year movements in the pyramid and the ABC
  classes, and the relationship stage (:func:`pyramid_migration`,
  :func:`abc_migration`, :func:`stage_migration`);
- :mod:`kamlib.review.validation` recall and precision against the generator's answer
  key, and the threshold chosen on other generated companies (:func:`validate`,
  :func:`calibrate`, :func:`choose_threshold`).
"""

from kamlib.review.config import (
    COMPONENT_KINDS,
    COMPONENT_LABELS,
    COMPONENTS,
    EvidenceSettings,
    HealthScales,
    HealthWeights,
    ReviewSettings,
)
from kamlib.review.decisions import DECISIONS, account_review, new_candidates
from kamlib.review.health import health, health_trend, scale
from kamlib.review.migration import abc_migration, movers, pyramid_migration, stage_migration
from kamlib.review.validation import calibrate, choose_threshold, threshold_curve, validate

__all__ = [
    "COMPONENTS", "COMPONENT_KINDS", "COMPONENT_LABELS", "DECISIONS", "EvidenceSettings", "HealthScales",
    "HealthWeights", "ReviewSettings", "abc_migration", "account_review", "calibrate",
    "choose_threshold", "health", "health_trend", "movers", "new_candidates",
    "pyramid_migration", "scale", "stage_migration", "threshold_curve", "validate",
]
