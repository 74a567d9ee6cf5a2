"""Synthetic scenes with known answers for the detector tests.

A scene is described in millimetres and rendered at any pixel spacing:
objects are drawn on a 4x finer grid and area-averaged (so a 0.3 mm disc at
0.2 mm spacing is a correct partial-volume blob), blurred by a 0.05 mm
detector PSF, on a smooth textured tissue background, with white noise whose
per-pixel sigma scales as 1/spacing (constant noise per mm², like quanta).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import pytest
from skimage.draw import disk, polygon

from calcdetect.config import DetectorConfig

TISSUE = 1000.0


@dataclass
class Scene:
    size_mm: tuple[float, float] = (40.0, 40.0)
    discs: list[tuple[float, float, float, float]] = field(default_factory=list)  # y, x, diameter, contrast (mm)
    lines: list[tuple[float, float, float, float, float, float]] = field(default_factory=list)  # y0,x0,y1,x1,width,contrast
    background_cols_mm: float = 0.0  # air strip on the left (for the mask)
    noise_at_01mm: float = 2.0  # pixel noise sigma at 0.1 mm spacing
    texture: float = 8.0
    seed: int = 0

    def render(self, spacing_mm: float) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        fine = spacing_mm / 4.0
        H, W = (int(round(s / spacing_mm)) for s in self.size_mm)
        hf, wf = 4 * H, 4 * W
        img = np.full((hf, wf), TISSUE, np.float32)
        # smooth texture from a fixed coarse grid (same in mm at every spacing)
        tex = np.random.default_rng(self.seed + 1).normal(size=(int(self.size_mm[0] / 2) + 1, int(self.size_mm[1] / 2) + 1))
        img += self.texture * cv2.resize(tex.astype(np.float32), (wf, hf), interpolation=cv2.INTER_CUBIC)
        for y, x, d, c in self.discs:
            rr, cc = disk((y / fine, x / fine), d / 2 / fine, shape=img.shape)
            img[rr, cc] += c
        for y0, x0, y1, x1, w, c in self.lines:
            v = np.array([y1 - y0, x1 - x0]) / np.hypot(y1 - y0, x1 - x0)
            n = np.array([-v[1], v[0]]) * w / 2
            pts = np.array([[y0, x0] + n, [y1, x1] + n, [y1, x1] - n, [y0, x0] - n]) / fine
            rr, cc = polygon(pts[:, 0], pts[:, 1], shape=img.shape)
            img[rr, cc] += c
        if self.background_cols_mm:
            img[:, : int(self.background_cols_mm / fine)] = 50.0
        img = cv2.GaussianBlur(img, (0, 0), 0.05 / fine)
        img = cv2.resize(img, (W, H), interpolation=cv2.INTER_AREA)
        sigma = self.noise_at_01mm * 0.1 / spacing_mm
        return (img + rng.normal(0.0, sigma, img.shape)).astype(np.float32)


def textured_tissue(seed: int, shape: tuple[int, int] = (500, 600)) -> np.ndarray:
    """Smooth tissue-like texture (sigma 40, correlation ~20 px) plus fine noise (sigma 4), float32."""
    rng = np.random.default_rng(seed)
    image = TISSUE + cv2.GaussianBlur(rng.normal(0.0, 40.0, shape).astype(np.float32), (0, 0), 20.0)
    return image + cv2.GaussianBlur(rng.normal(0.0, 4.0, shape).astype(np.float32), (0, 0), 0.7) * 1.6


@pytest.fixture
def config() -> DetectorConfig:
    """Built-in detector settings with a fixed operating point for the tests
    (the calibrated defaults may move; these tests are about behaviour)."""
    # the cluster model's scores run 0-1: a cluster the model finds more likely true than not, for both models
    return DetectorConfig(image_threshold=0.5, image_threshold_coarse=0.5)


@pytest.fixture
def scene() -> type[Scene]:
    return Scene
