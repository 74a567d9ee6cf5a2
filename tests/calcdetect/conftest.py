"""A digitised-film-like scene for the artefact-rejection tests (detector and scan).

What went through the imaging chain -- tissue texture, calcifications, vessel
walls, the quantum noise -- is drawn on a 4x finer grid, blurred by the
chain's Gaussian PSF (``psf_mm``) and area-averaged to the pixel; the noise is
white noise blurred by the same PSF plus a white floor (film grain seen
through a sharper scanner).  What lies on the film or the scanner -- dust, a
scratch, a scanner row -- is added afterwards, sharp, at the pixel grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import pytest
from skimage.draw import disk

TISSUE = 1000.0
AIR = 100.0


@dataclass
class FilmScene:
    spacing_mm: float
    psf_mm: float
    size_mm: tuple[float, float] = (40.0, 36.0)
    noise: float = 4.0  # pixel noise sigma (blurred part + white floor), read units
    white_fraction: float = 0.2
    texture: float = 10.0
    air_cols_mm: float = 4.0
    seed: int = 0
    calcs: list[tuple[float, float, float, float]] = field(default_factory=list)  # y, x, diameter, contrast (mm)
    rails: list[tuple[float, float, float, float, float]] = field(default_factory=list)  # y0, x0, y1, x1, contrast
    rail_dash_mm: tuple[float, float] = (1.2, 0.6)  # dash length, gap
    dust: list[tuple[float, float, float]] = field(default_factory=list)  # y, x (mm), amplitude
    scanner_rows: list[tuple[int, float]] = field(default_factory=list)  # row index, amplitude
    scratches: list[tuple[float, float, float, float, float]] = field(default_factory=list)  # y0, x0, y1, x1, amp

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(int(round(s / self.spacing_mm)) for s in self.size_mm)  # type: ignore[return-value]

    def px(self, y_mm: float, x_mm: float) -> tuple[int, int]:
        return int(y_mm / self.spacing_mm), int(x_mm / self.spacing_mm)

    def signal(self) -> np.ndarray:
        """The noise-free image of what went through the chain (calcifications and rails only)."""
        H, W = self.shape
        fine = self.spacing_mm / 4.0
        img = np.zeros((4 * H, 4 * W), np.float32)
        for y, x, d, c in self.calcs:
            rr, cc = disk((y / fine, x / fine), max(d / 2 / fine, 0.6), shape=img.shape)
            img[rr, cc] += c
        on_mm, off_mm = self.rail_dash_mm
        for y0, x0, y1, x1, c in self.rails:  # dashes, 0.2 mm wide
            length = float(np.hypot(y1 - y0, x1 - x0))
            for s in np.arange(0.0, length, on_mm + off_mm):
                a, b = s / length, min(s + on_mm, length) / length
                p0 = (int((x0 + a * (x1 - x0)) / fine), int((y0 + a * (y1 - y0)) / fine))
                p1 = (int((x0 + b * (x1 - x0)) / fine), int((y0 + b * (y1 - y0)) / fine))
                cv2.line(img, p0, p1, float(c), max(1, int(round(0.2 / fine))))
        img = cv2.GaussianBlur(img, (0, 0), self.psf_mm / fine) if self.psf_mm > 0 else img
        return cv2.resize(img, (W, H), interpolation=cv2.INTER_AREA)

    def render(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        H, W = self.shape
        tex = np.random.default_rng(self.seed + 1).normal(size=(int(self.size_mm[0] / 3) + 1,
                                                                int(self.size_mm[1] / 3) + 1))
        img = TISSUE + self.texture * cv2.resize(tex.astype(np.float32), (W, H), interpolation=cv2.INTER_CUBIC)
        img += self.signal()
        blurred = rng.normal(size=(H, W)).astype(np.float32)
        psf_px = self.psf_mm / self.spacing_mm
        if psf_px > 0:
            blurred = cv2.GaussianBlur(blurred, (0, 0), psf_px)
        blurred /= blurred.std()
        img += self.noise * (np.sqrt(1 - self.white_fraction) * blurred
                             + np.sqrt(self.white_fraction) * rng.normal(size=(H, W)))
        for y, x, amp in self.dust:
            img[self.px(y, x)] += amp
        for r, amp in self.scanner_rows:
            img[r, :] += amp
        line = np.zeros((H, W), np.float32)
        for y0, x0, y1, x1, amp in self.scratches:
            cv2.line(line, self.px(x0, y0), self.px(x1, y1), float(amp), 1, cv2.LINE_8)
        img += line
        img[:, : int(self.air_cols_mm / self.spacing_mm)] = AIR
        return img.astype(np.float32)


@pytest.fixture
def film_scene() -> type[FilmScene]:
    return FilmScene
