"""Training the detector's models on phantoms (``calcdetect train``).

``dataset`` turns phantoms (with their truth) into labelled candidate
features, exactly the candidates and features the detector computes;
``train`` fits the gradient-boosted false-positive model, validates it
leave-one-preset-out and writes it with the metadata that rebuilds it;
``clusters`` does the same for the cluster model, from the clusters
the whole detector finds (``calcdetect train OUT --clusters``).
"""

from __future__ import annotations

from calcdetect.learning.dataset import CandidateTable, candidate_table, resample_image
from calcdetect.learning.train import TrainingRecipe, train_model

__all__ = ["CandidateTable", "candidate_table", "resample_image", "TrainingRecipe", "train_model"]
