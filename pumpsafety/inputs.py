"""Checking event arguments at the boundary: exact integers in the unit the name says.

Quantities may be given as ints in the unit named by the argument (``mass_ng=2_400``) or
as text with an explicit unit (``"2.4 mcg"``), parsed exactly. A unit of the wrong kind
(a volume where a mass is expected, a per-hour rate where a per-day one is) is rejected,
never converted by guesswork (SR-DOSE-04).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pumpsafety.errors import DoseError, quoted
from pumpsafety.records import PatientBolus, Prescription, Step

__all__ = ["EVENT_ARGS", "parse_args", "parse_quantity"]

# unit -> (dimension, factor to the base unit of that dimension)
_UNITS: dict[str, tuple[str, int]] = {
    "ng": ("mass", 1),
    "mcg": ("mass", 1_000),
    "ug": ("mass", 1_000),
    "µg": ("mass", 1_000),
    "mg": ("mass", 1_000_000),
    "nl": ("volume", 1),
    "ul": ("volume", 1_000),
    "µl": ("volume", 1_000),
    "ml": ("volume", 1_000_000),
    "ng/ml": ("concentration", 1),
    "mcg/ml": ("concentration", 1_000),
    "ug/ml": ("concentration", 1_000),
    "µg/ml": ("concentration", 1_000),
    "mg/ml": ("concentration", 1_000_000),
    "s": ("time", 1),
    "min": ("time", 60),
    "h": ("time", 3_600),
    "day": ("time", 86_400),
    "days": ("time", 86_400),
    "%": ("percent", 1),
}
_BASE = {
    "mass": "ng",
    "volume": "nl",
    "concentration": "ng/ml",
    "time": "s",
    "percent": "%",
    "count": "boluses",
}
_QUANTITY = re.compile(r"^\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([a-zµ/%]+)\s*$", re.IGNORECASE)

# argument kinds: (dimension or type, minimum, maximum or None)
_MASS = ("mass", 1, None)
_VOLUME = ("volume", 0, None)
_VOLUME_POS = ("volume", 1, None)
_CONC = ("concentration", 1, None)
_PERCENT = ("percent", 0, 100)

EVENT_ARGS: Mapping[str, Mapping[str, tuple[str, int, int | None]]] = {
    "start_single_shot_trial": {"drug": ("name", 0, None)},
    "start_continuous_trial": {
        "device": ("name", 0, None),
        "volume_nl": _VOLUME_POS,
        "prescription": ("prescription", 0, None),
    },
    "give_trial_bolus": {"mass_ng": _MASS},
    "end_trial": {"improvement_percent": _PERCENT},
    "implant": {"device": ("name", 0, None), "catheter_dead_volume_nl": _VOLUME},
    "aspirate": {"residual_nl": _VOLUME},
    "fill": {
        "drug": ("name", 0, None),
        "concentration_ng_per_ml": _CONC,
        "confirm_concentration_ng_per_ml": _CONC,
        "volume_nl": _VOLUME_POS,
    },
    "program": {"prescription": ("prescription", 0, None)},
    "prime": {"volume_nl": _VOLUME_POS},
    "give_clinician_bolus": {"mass_ng": _MASS},
    "give_catheter_access_bolus": {"mass_ng": _MASS},
    "stop_delivery": {"confirm_withdrawal_risk": ("bool", 0, None)},
    "revise_catheter": {"catheter_dead_volume_nl": _VOLUME},
    "replace_pump": {"device": ("name", 0, None)},
}
_OPTIONAL = {("stop_delivery", "confirm_withdrawal_risk"): False}


def parse_quantity(
    name: str, value: object, dimension: str, *, requirement: str = "SR-DOSE-04"
) -> int:
    """Return *value* as an exact integer in the base unit of *dimension*.

    Raises:
        DoseError: a float, bool, NaN or infinity; text without a unit or with a unit of
            another dimension; a value that is not a whole number of the base unit.
    """
    base = _BASE[dimension]
    if isinstance(value, bool) or not isinstance(value, int | str):
        hint = (
            "is a binary float (not exact); give an int or text such as '2.4 mcg'"
            if isinstance(value, float)
            else f"has type {type(value).__name__}"
        )
        raise DoseError(
            name, value, f"an exact integer in {base}", requirement=requirement, reason=hint
        )
    if isinstance(value, int):
        return value
    match = _QUANTITY.match(value)
    if match is None:
        raise DoseError(
            name,
            value,
            f"a number with a {dimension} unit, e.g. '2.4 {_example(dimension)}'",
            requirement=requirement,
            reason="is not a number with a unit",
        )
    number, unit = match.group(1).replace("_", ""), match.group(2).lower()
    if unit not in _UNITS:
        raise DoseError(
            name,
            value,
            f"units of {dimension}: {_units_of(dimension)}",
            requirement=requirement,
            reason=f"has the unknown unit {quoted(unit)}",
        )
    dim, factor = _UNITS[unit]
    if dim != dimension:
        raise DoseError(
            name,
            value,
            f"units of {dimension}: {_units_of(dimension)}",
            requirement=requirement,
            reason=f"is a {dim}, not a {dimension} (unit slip)",
        )
    try:
        exact = Decimal(number) * factor
    except InvalidOperation as err:  # pragma: no cover - the regex admits only decimals
        raise DoseError(name, value, "a decimal number", requirement=requirement) from err
    if exact != exact.to_integral_value():
        raise DoseError(
            name,
            value,
            f"a whole number of {base}",
            requirement=requirement,
            reason=f"is {exact} {base}, not a whole number",
        )
    return int(exact)


def _units_of(dimension: str) -> str:
    return ", ".join(sorted(u for u, (d, _) in _UNITS.items() if d == dimension))


def _example(dimension: str) -> str:
    return {"mass": "mcg", "volume": "ml", "concentration": "mg/ml", "time": "h"}.get(dimension, "")


def _check_int(name: str, value: int, lo: int, hi: int | None, requirement: str) -> int:
    # one condition, not two: on a symbolic value each `or` operand would be a case split
    if (value < lo) | (value > hi if hi is not None else False):
        allowed = f">= {lo:_}" if hi is None else f"{lo:_}..{hi:_}"
        raise DoseError(name, value, allowed, requirement=requirement)
    return value


def parse_args(event: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """Check the arguments of *event*; return them with quantities as exact ints.

    Raises:
        DoseError: an unknown, missing, mistyped or out-of-range argument (SR-INPUT-01).
    """
    schema = EVENT_ARGS.get(event, {})
    unknown = sorted(set(args) - set(schema))
    if unknown:
        allowed = ", ".join(sorted(schema)) or "no arguments"
        raise DoseError(
            unknown[0],
            args[unknown[0]],
            allowed,
            requirement="SR-INPUT-01",
            reason=f"is not an argument of {quoted(event)}",
        )
    out: dict[str, Any] = {}
    for name, (kind, lo, hi) in schema.items():
        if name not in args:
            if (event, name) in _OPTIONAL:
                out[name] = _OPTIONAL[(event, name)]
                continue
            raise DoseError(
                name,
                None,
                f"a value for {name}",
                requirement="SR-INPUT-01",
                reason=f"is missing for {quoted(event)}",
            )
        value = args[name]
        if kind == "name":
            if not isinstance(value, str) or not value:
                raise DoseError(
                    name,
                    value,
                    "a name from the spec",
                    requirement="SR-INPUT-01",
                    reason="is not a name",
                )
            out[name] = value
        elif kind == "bool":
            if not isinstance(value, bool):
                raise DoseError(
                    name,
                    value,
                    "True or False",
                    requirement="SR-INPUT-01",
                    reason="is not a boolean",
                )
            out[name] = value
        elif kind == "prescription":
            out[name] = check_prescription(value)
        else:
            qty = parse_quantity(name, value, kind)
            out[name] = _check_int(name, qty, lo, hi, "SR-INPUT-01")
    return out


def check_prescription(value: object) -> Prescription:
    """Check the shape and units of a prescription (limits are checked by the guards)."""
    if not isinstance(value, Prescription):
        raise DoseError(
            "prescription",
            value,
            "a pumpsafety.Prescription",
            requirement="SR-INPUT-01",
            reason=f"has type {type(value).__name__}",
        )
    p = value
    conc = _check_int(
        "concentration_ng_per_ml",
        parse_quantity("concentration_ng_per_ml", p.concentration_ng_per_ml, "concentration"),
        1,
        None,
        "SR-DOSE-03",
    )
    confirm = _check_int(
        "confirm_concentration_ng_per_ml",
        parse_quantity(
            "confirm_concentration_ng_per_ml", p.confirm_concentration_ng_per_ml, "concentration"
        ),
        1,
        None,
        "SR-RES-07",
    )
    max_daily = _check_int(
        "max_daily_dose_ng",
        parse_quantity("max_daily_dose_ng", p.max_daily_dose_ng, "mass"),
        1,
        None,
        "SR-DOSE-02",
    )
    if not isinstance(p.steps, tuple) or not p.steps:
        raise DoseError("steps", p.steps, "a non-empty tuple of Step", requirement="SR-DOSE-06")
    steps: list[Step] = []
    for i, s in enumerate(p.steps):
        if not isinstance(s, Step):
            raise DoseError(f"steps[{i}]", s, "a pumpsafety.Step", requirement="SR-DOSE-06")
        if s.per not in ("hour", "day"):
            raise DoseError(
                f"steps[{i}].per",
                s.per,
                "'hour' or 'day' (stated explicitly)",
                requirement="SR-DOSE-06",
                reason="is not a time base",
            )
        start = _check_int(
            f"steps[{i}].start_s",
            parse_quantity(f"steps[{i}].start_s", s.start_s, "time"),
            0,
            86_399,
            "SR-DOSE-06",
        )
        dose = _check_int(
            f"steps[{i}].dose_ng",
            parse_quantity(f"steps[{i}].dose_ng", s.dose_ng, "mass"),
            0,
            None,
            "SR-DOSE-06",
        )
        steps.append(Step(start, dose, s.per))
    starts = [s.start_s for s in steps]
    if starts != sorted(set(starts)):
        raise DoseError(
            "steps",
            tuple(starts),
            "strictly increasing start_s",
            requirement="SR-DOSE-06",
            reason="has unsorted or repeated step starts",
        )
    bolus = p.patient_bolus
    if bolus is not None:
        if not isinstance(bolus, PatientBolus):
            raise DoseError(
                "patient_bolus", bolus, "a pumpsafety.PatientBolus or None", requirement="SR-BOL-01"
            )
        bolus = PatientBolus(
            mass_ng=_check_int(
                "patient_bolus.mass_ng",
                parse_quantity("patient_bolus.mass_ng", bolus.mass_ng, "mass"),
                1,
                None,
                "SR-BOL-01",
            ),
            lockout_s=_check_int(
                "patient_bolus.lockout_s",
                parse_quantity("patient_bolus.lockout_s", bolus.lockout_s, "time"),
                1,
                None,
                "SR-BOL-01",
            ),
            max_per_day=_check_int(
                "patient_bolus.max_per_day",
                parse_quantity("patient_bolus.max_per_day", bolus.max_per_day, "count"),
                1,
                None,
                "SR-BOL-04",
            ),
        )
    for flag in ("confirm_soft_limits", "confirm_decrease"):
        if not isinstance(getattr(p, flag), bool):
            raise DoseError(flag, getattr(p, flag), "True or False", requirement="SR-CONF-01")
    if not isinstance(p.drug, str) or not p.drug:
        raise DoseError("drug", p.drug, "a drug id from the spec", requirement="SR-DOSE-03")
    return Prescription(
        drug=p.drug,
        concentration_ng_per_ml=conc,
        confirm_concentration_ng_per_ml=confirm,
        max_daily_dose_ng=max_daily,
        steps=tuple(steps),
        patient_bolus=bolus,
        spasticity_origin=p.spasticity_origin,
        confirm_soft_limits=p.confirm_soft_limits,
        confirm_decrease=p.confirm_decrease,
    )
