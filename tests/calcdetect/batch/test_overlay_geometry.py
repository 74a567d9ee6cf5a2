"""The overlay's whole-image view geometry maps overlay pixels to image pixels exactly.

Independent check: render an overlay with and without one bright pixel and find
where the two PNGs differ; that place, mapped back, must be the pixel.
"""

from __future__ import annotations

import numpy as np
import pytest

from calcdetect.batch.overlay import overview_geometry, render_overlay
from calcdetect.results import ImageResult, Mammogram


def _mammogram(rows: int, cols: int, spot: tuple[int, int] | None) -> Mammogram:
    pixels = np.full((rows, cols), 1000.0, np.float32)
    if spot is not None:
        pixels[spot] = 3000.0
    return Mammogram(pixels=pixels, spacing_mm=(0.1, 0.1), laterality="L", view="CC", patient_id="P")


@pytest.mark.parametrize(("rows", "cols", "spot", "factor"), [
    (600, 480, (123, 321), 1),        # fits: shown 1:1
    (2000, 1600, (1511, 421), 2),     # demo size: halved
    (2000, 1601, (777, 1599), 2),     # a width not divisible by the factor
    (3601, 1000, (3600, 5), 4),       # the last row
])
def test_a_pixel_maps_back_to_itself(rows, cols, spot, factor):
    kwargs = dict(patient_key="K", window=(0.0, 4000.0))
    with_spot = render_overlay(_mammogram(rows, cols, spot), ImageResult(), **kwargs).astype(int)
    without = render_overlay(_mammogram(rows, cols, None), ImageResult(), **kwargs).astype(int)
    ys, xs = np.nonzero(np.abs(with_spot - without).sum(axis=2))
    assert len(ys) == 1, "one bright pixel changes one overview pixel"
    g = overview_geometry(rows, cols)
    # the overview is 84 px below the top (legend), reduced by an integer factor (hand-derived)
    assert (g.top_px, g.left_px, g.height_px, g.width_px) == (84, 0, rows // factor, cols // factor)
    row, col = g.to_image(xs[0] + 0.5, ys[0] + 0.5)  # centre of the changed overview pixel
    assert abs(row - spot[0]) <= factor / 2 and abs(col - spot[1]) <= factor / 2 + cols / (cols // factor) - factor
    x, y = g.to_overlay(*spot)
    assert int(x) == xs[0] and int(y) == ys[0]


def test_points_outside_the_view_map_to_nothing():
    g = overview_geometry(600, 480)
    assert g.to_image(10.0, 83.9) is None  # the legend
    assert g.to_image(480.0, 200.0) is None  # right of the view: the insets
    assert g.to_image(0.0, 84.0) == (-0.5, -0.5)
    with pytest.raises(ValueError, match="at least one row"):
        overview_geometry(0, 10)


GREEN_BGR = (60, 200, 60)


def test_search_outline_is_drawn_thinly_on_its_edge_in_the_whole_image_view():
    """A rectangle of image pixels rows 100-1499, cols 200-1399 (its outline on their outer edges),
    in a 2000 x 1600 image shown halved: the outline runs along overview rows 50 and 750 and
    columns 100 and 700 (image edge / 2, the view pixel below or right of the edge), 84 px down."""
    outline = ((99.5, 199.5), (99.5, 1399.5), (1499.5, 1399.5), (1499.5, 199.5))
    mammogram = _mammogram(2000, 1600, None)
    kwargs = dict(patient_key="K", window=(0.0, 4000.0))
    drawn = render_overlay(mammogram, ImageResult(search_outline_rc=(outline,)), **kwargs)
    plain = render_overlay(mammogram, ImageResult(), **kwargs)
    view = drawn[84 : 84 + 1000, :800]
    green = np.all(view == GREEN_BGR, axis=2)
    for row in (50, 750):
        assert green[row, 100:701].all()
    for col in (100, 700):
        assert green[50:751, col].all()
    assert green.sum() == 2 * 601 + 2 * 699, "one pixel wide, nothing else in green"
    assert not green[52:749, 102:699].any() and not green[:49].any() and not green[752:].any()
    # the outline is all that differs; an old result without one draws nothing
    plain_view = plain[84 : 84 + 1000, :800]
    assert np.array_equal(plain_view[~green], view[~green]) and not np.all(plain_view == GREEN_BGR, axis=2).any()


def test_the_legend_fits_a_narrow_overlay():
    """A small image gives a 900 px wide overlay: every legend line, the disclaimer at the end of the
    last one included, ends inside the canvas (the right margin of the legend band stays empty)."""
    mammogram = _mammogram(600, 480, None)
    overlay = render_overlay(mammogram, ImageResult(), patient_key="A-LONG-PSEUDONYMISED-KEY-0123456789",
                             window=(0.0, 4000.0), show_rejected=True)
    assert overlay.shape[1] <= 900
    margin = overlay[:84, -8:].reshape(-1, 3)
    assert (margin == margin[0]).all(), "no text in the legend's right margin"
