"""pumpsafety: a formally specified, machine-checked safety model of an intrathecal drug pump."""

from pumpsafety.errors import (
    DoseError,
    DoseLimitExceeded,
    EventRejected,
    PumpSafetyError,
    SpecError,
)
from pumpsafety.machine import PumpModel, Snapshot
from pumpsafety.records import (
    Delivery,
    EventRecord,
    PatientBolus,
    Prescription,
    Program,
    PumpData,
    Step,
)
from pumpsafety.spec import Spec, load_spec

__version__ = "0.1.0"

__all__ = [
    "Delivery",
    "DoseError",
    "DoseLimitExceeded",
    "EventRecord",
    "EventRejected",
    "PatientBolus",
    "Prescription",
    "Program",
    "PumpData",
    "PumpModel",
    "PumpSafetyError",
    "Snapshot",
    "Spec",
    "SpecError",
    "Step",
    "__version__",
    "load_spec",
]
