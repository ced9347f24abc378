"""The elective replacement indicator is raised but end of service never follows."""

from __future__ import annotations

from pumpsafety.checks.harness import ReferenceAdapter
from pumpsafety.spec import Spec
from tests.broken._base import FaultyModel, adapter

EXPECTED = ("SR-PWR-01",)


class Model(FaultyModel):
    def _is_due(self, event: str) -> bool:
        if event == "service_ended":
            return False  # fault: the pump runs on past end of service
        return super()._is_due(event)


def make(spec: Spec) -> ReferenceAdapter:
    return adapter(Model, spec)
