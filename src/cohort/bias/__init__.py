"""How much of the association is the detector's: quantitative bias analysis.

One job per module:

* :mod:`cohort.bias.counts` — the 2 x 2 table in the order the command line
  takes it (MC− met−, MC− met+, MC+ met−, MC+ met+) and the classification
  accuracy (SE/SP, with counts where known) and where it came from;
* :mod:`cohort.bias.simple` — simple bias analysis for exposure
  misclassification (corrected 2 x 2 table and odds ratio), the SE x SP grid
  and the tipping points;
* :mod:`cohort.bias.probabilistic` — probabilistic bias analysis with SE/SP
  drawn from beta distributions;
* :mod:`cohort.bias.evalue` — E-values for odds ratios;
* :mod:`cohort.bias.power` — power and sample size, closed form and simulated;
* :mod:`cohort.bias.sources` — reading SE/SP from ``calcdetect evaluate``'s
  ``metrics.json`` or a CSV/JSON summary;
* :mod:`cohort.bias.analysis` — the whole analysis on one table, its CSV
  frames and report section.
"""

from __future__ import annotations
