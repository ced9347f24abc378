"""Therapy timeline: when a fill will alarm, run empty, fall due, and when the battery ends."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TextIO

from pumpsafety import dose
from pumpsafety.dose import DAY_S
from pumpsafety.errors import DoseError
from pumpsafety.inputs import parse_quantity
from pumpsafety.spec import Spec, load_spec

__all__ = ["Timeline", "therapy_timeline"]


@dataclass(frozen=True, slots=True)
class Timeline:
    """Seconds after the fill (and after implant, for the battery) at which each event happens.

    Reservoir times are the first whole second at which the level is at or below the
    threshold, exactly as the model raises them. ``None``: the event cannot happen
    (no battery, or nothing is delivered).
    """

    rate_nl_per_day: int
    low_reservoir_s: int | None
    empty_s: int | None
    stability_due_s: int
    refill_due_s: int
    eri_s: int | None
    end_of_service_s: int | None

    def lines(self) -> list[str]:
        def show(label: str, at: int | None) -> str:
            if at is None:
                return f"{label:<22} never"
            days, rest = divmod(at, DAY_S)
            return f"{label:<22} day {days:>5}{f' + {rest:_} s' if rest else ''}  ({at:_} s)"

        return [
            f"{'pump rate':<22} {self.rate_nl_per_day:_} nl/day",
            show("low-reservoir alarm", self.low_reservoir_s),
            show("reservoir empty", self.empty_s),
            show("drug stability limit", self.stability_due_s),
            show("refill due", self.refill_due_s),
            show("ERI", self.eri_s),
            show("end of service", self.end_of_service_s),
        ]


def therapy_timeline(
    spec: Spec,
    *,
    device: str,
    drug: str,
    concentration_ng_per_ml: int,
    dose_ng_per_day: int,
    volume_nl: int,
    first_fill: bool = False,
) -> Timeline:
    """Timeline of one constant-rate fill (SR-RES-03, SR-RES-04, SR-RES-06, SR-PWR-01).

    Refill due is the earlier of the low-reservoir alarm and the drug's stability limit.

    Raises:
        DoseError: unknown device or drug, or a value outside the spec's ranges.
    """
    dev = spec.devices.get(device)
    if dev is None:
        raise DoseError(
            "device", device, f"one of {sorted(spec.devices)}", requirement="SR-INPUT-01"
        )
    d = spec.drugs.get(drug)
    if d is None:
        raise DoseError("drug", drug, f"one of {sorted(spec.drugs)}", requirement="SR-DOSE-03")
    cap = dev.reservoir_capacity_nl.value
    if not 1 <= volume_nl <= cap:
        raise DoseError("volume_nl", volume_nl, f"1..{cap:_} nl", requirement="SR-RES-02")
    cmax = d.max_concentration_ng_per_ml.value
    if not 1 <= concentration_ng_per_ml <= cmax:
        raise DoseError(
            "concentration_ng_per_ml",
            concentration_ng_per_ml,
            f"1..{cmax:_}",
            requirement="SR-DOSE-03",
        )
    hard = d.max_daily_dose_ng.value
    if not 0 <= dose_ng_per_day <= hard:
        raise DoseError(
            "dose_ng_per_day", dose_ng_per_day, f"0..{hard:_}", requirement="SR-DOSE-01"
        )
    rate = dose.volume_rate_floor_nl_per_day(dose_ng_per_day, concentration_ng_per_ml)
    if dev.fixed_rate_nl_per_day is not None:
        rate = dev.fixed_rate_nl_per_day.value
    level = volume_nl * DAY_S
    low = empty = None
    if rate:
        low = dose.seconds_until_level(level, dev.low_reservoir_alarm_nl.value, rate)
        empty = dose.seconds_until_level(level, dev.empty_threshold_nl.value, rate)
    stable = d.stability.refill_interval_s(
        first_fill=first_fill, concentration_ng_per_ml=concentration_ng_per_ml
    )
    eri = eos = None
    if dev.has_battery and dev.service_life_s and dev.eri_to_eos_s:
        eos = dev.service_life_s.value
        eri = eos - dev.eri_to_eos_s.value
    return Timeline(
        rate_nl_per_day=rate,
        low_reservoir_s=low,
        empty_s=empty,
        stability_due_s=stable,
        refill_due_s=stable if low is None else min(low, stable),
        eri_s=eri,
        end_of_service_s=eos,
    )


def run_timeline(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    spec = load_spec(args.spec)
    timeline = therapy_timeline(
        spec,
        device=args.device,
        drug=args.drug,
        concentration_ng_per_ml=parse_quantity(
            "concentration", _num(args.concentration), "concentration"
        ),
        dose_ng_per_day=parse_quantity("dose", _num(args.dose), "mass"),
        volume_nl=parse_quantity("volume", _num(args.volume), "volume"),
    )
    for line in timeline.lines():
        print(line, file=out)
    return 0


def _num(text: str) -> int | str:
    return int(text.replace("_", "")) if text.replace("_", "").isdigit() else text
