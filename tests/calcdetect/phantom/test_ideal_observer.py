"""The truth's d': the ideal observer's detectability, checked against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from calcdetect.phantom.acquisition import Exposure, ideal_observer_snr


def _exposure(blur_px: float, electronic: float) -> Exposure:
    return Exposure(quanta_per_pixel=900.0, scatter=np.zeros((1, 1), np.float32), heel=np.ones(1, np.float32),
                    blur_sigma_px=blur_px, electronic_noise=electronic)


def test_without_blur_or_electronic_noise_it_is_the_poisson_matched_filter():
    one = np.zeros((5, 5)); one[2, 2] = 30.0
    block = np.zeros((5, 5)); block[1:3, 1:3] = 30.0
    assert ideal_observer_snr(one, 900.0, _exposure(0.0, 0.0)) == pytest.approx(1.0)       # 30 / sqrt(900)
    assert ideal_observer_snr(block, 900.0, _exposure(0.0, 0.0)) == pytest.approx(2.0)     # sqrt(4 * 30² / 900)


def test_blur_alone_does_not_change_it_but_blur_before_electronic_noise_lowers_it():
    signal = np.zeros((9, 9)); signal[3:6, 3:6] = 20.0
    sharp = ideal_observer_snr(signal, 900.0, _exposure(0.0, 0.0))
    assert ideal_observer_snr(signal, 900.0, _exposure(1.5, 0.0)) == pytest.approx(sharp, rel=1e-6)
    noisy_sharp = ideal_observer_snr(signal, 900.0, _exposure(0.0, 10.0))
    noisy_blurred = ideal_observer_snr(signal, 900.0, _exposure(1.5, 10.0))
    assert noisy_blurred < noisy_sharp < sharp
