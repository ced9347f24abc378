"""The motor keeps running after the reservoir estimate reaches the empty threshold."""

from __future__ import annotations

from dataclasses import replace

from pumpsafety.checks.harness import ReferenceAdapter
from pumpsafety.machine import _prune, _record
from pumpsafety.records import Delivery
from pumpsafety.spec import Spec
from tests.broken._base import FaultyModel, adapter

EXPECTED = ("SR-DEL-02", "SR-RES-04")


class Model(FaultyModel):
    def _is_due(self, event: str) -> bool:
        if event == "reservoir_empty":
            return False  # fault: the empty condition is never raised
        return super()._is_due(event)

    def _stretch_end(self, target_s: int) -> int:
        saved = self._data
        self._data = replace(saved, empty_active=True)  # the empty level is not watched
        try:
            return super()._stretch_end(target_s)
        finally:
            self._data = saved

    def _integrate(self, until_s: int) -> None:
        d = self._data
        rate = self._rate_nl_per_day()
        segments = []
        if rate and d.drug is not None:
            dt = until_s - d.now_s
            conc = d.concentration_ng_per_ml
            v = rate * dt  # fault: not capped at the usable volume
            segments.append(
                Delivery("basal", d.now_s, until_s, d.drug, conc, v, v * conc, self.state)
            )
        data = replace(d, now_s=until_s)
        for seg in segments:
            data = _record(data, seg)
        self._data = _prune(data)
        self._log.extend(segments)


def make(spec: Spec) -> ReferenceAdapter:
    return adapter(Model, spec)
