"""Deliberately broken pump implementations, one realistic fault each, for the harness to catch.

Each module exposes ``make(spec)``, an adapter factory, and ``EXPECTED``, the requirement
ids the fault breaks (the harness must name at least one of them).
"""

BROKEN = (
    "lockout_off_by_one",
    "calendar_day_bolus_count",
    "refill_keeps_old_rate",
    "discrepancy_undetected",
    "bolus_during_alarm",
    "mg_mcg_confusion",
    "empty_keeps_delivering",
    "eri_without_end_of_service",
)
