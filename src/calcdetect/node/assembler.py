"""When is a study complete?  When nothing new arrived for it for a while.

DICOM has no "end of study" message: a PACS may send a study over several
associations, or resend part of it later.  :class:`StudyAssembler` keeps, per
study, the time of its last instance and hands out the studies that have been
quiet for ``idle_s`` seconds.  It only keeps time: what a study holds is on
disk (:mod:`.inbox`), so a study that keeps arriving after its analysis is
simply due again, and only its new instances are analysed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

__all__ = ["StudyAssembler"]


class StudyAssembler:
    """Thread-safe idle timers of the studies being received.

    Parameters
    ----------
    idle_s : float
        Quiet time after which a study is due for analysis.
    clock : callable, optional
        Monotonic clock in seconds (tests pass a fake one).
    """

    def __init__(self, *, idle_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if not idle_s >= 0:
            raise ValueError(f"the study idle time must be >= 0 seconds, got {idle_s!r}")
        self.idle_s = float(idle_s)
        self._clock = clock
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def touch(self, study: str) -> None:
        """Something arrived for ``study`` now: (re)start its idle timer."""
        with self._lock:
            self._last[study] = self._clock()

    def touch_all(self, studies: Iterable[str]) -> None:
        for study in studies:
            self.touch(study)

    def due(self) -> list[str]:
        """The studies quiet for at least ``idle_s``, in arrival order; they are forgotten here."""
        now = self._clock()
        with self._lock:
            ready = [s for s, t in sorted(self._last.items(), key=lambda kv: kv[1]) if now - t >= self.idle_s]
            for study in ready:
                del self._last[study]
        return ready


    @property
    def waiting(self) -> list[str]:
        """The studies still receiving (not yet due), sorted."""
        with self._lock:
            return sorted(self._last)
