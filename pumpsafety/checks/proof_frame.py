"""Symbolic model states and event arguments for the step obligations.

A frame turns plain integers and booleans (which CrossHair makes symbolic) into a
``PumpData`` for one state. Quantities are free within the spec's ranges; the timeline
(the clock and the times at which the history was delivered) is fixed, because the window
rule hashes times and a hashed symbolic value is realised, which would leave infinitely many
paths to explore. Every function here is deterministic and I/O-free.
"""

from __future__ import annotations

from typing import Any

from pumpsafety.checks.proof_invariants import evaluating_states
from pumpsafety.dose import DAY_S
from pumpsafety.guards import compile_program
from pumpsafety.inputs import EVENT_ARGS
from pumpsafety.logic import not_
from pumpsafety.records import Delivery, PatientBolus, Prescription, Program, PumpData, Step
from pumpsafety.spec import Spec

__all__ = [
    "FRAME_PARAMS",
    "HISTORY_POINT_AGE_S",
    "NOW_S",
    "PRESCRIPTION_PARAMS",
    "TRIAL_DOSES_MAX",
    "frame",
    "prescription",
]

NOW_S = 100 * DAY_S
# the past point dose of the history: old enough to leave every window that starts after it,
# recent enough to share windows with a new dose
HISTORY_POINT_AGE_S = 7_200
# the most trial doses a frame lists (one a day, each in its own earlier day)
TRIAL_DOSES_MAX = 3

# name -> annotation of the frame's parameters, in call order
FRAME_PARAMS: dict[str, str] = {
    "dev_i": "int",
    "drug_i": "int",
    "conc": "int",
    "level": "int",
    "has_program": "bool",
    "p_drug_i": "int",
    "p_conc": "int",
    "p_dose": "int",
    "p_max": "int",
    "p_bolus": "bool",
    "pb_mass": "int",
    "pb_lockout": "int",
    "pb_max": "int",
    "hist_rate": "int",
    "hist_point_nl": "int",
    "n_times": "int",
    "last_bolus_age": "int",
    "low": "bool",
    "empty": "bool",
    "overdue": "bool",
    "eri": "bool",
    "primed": "bool",
    "residual_recorded": "bool",
    "filled": "bool",
    "refill_due_in": "int",
    "eri_in": "int",
    "eos_after_eri": "int",
    "increase_age": "int",
    "trial_drug_i": "int",
    "n_trial": "int",
    "improvement": "int",
    "trial_eff": "int",
    "has_last_daily": "bool",
    "last_daily": "int",
    "dead_volume": "int",
    "fills": "int",
}

PRESCRIPTION_PARAMS: dict[str, str] = {
    "rx_drug_i": "int",
    "rx_conc": "int",
    "rx_confirm": "int",
    "rx_dose": "int",
    "rx_hourly": "bool",
    "rx_max": "int",
    "rx_bolus": "bool",
    "rx_pb_mass": "int",
    "rx_pb_lockout": "int",
    "rx_pb_max": "int",
    "rx_origin_i": "int",
    "rx_soft": "bool",
    "rx_decrease": "bool",
}

_ORIGINS: tuple[str | None, ...] = (None, "spinal", "cerebral", "pediatric")


def _pick(ids: tuple[str, ...], i: int) -> str | None:
    return ids[i] if 0 <= i < len(ids) else None


def prescription(
    spec: Spec,
    rx_drug_i: int,
    rx_conc: int,
    rx_confirm: int,
    rx_dose: int,
    rx_hourly: bool,
    rx_max: int,
    rx_bolus: bool,
    rx_pb_mass: int,
    rx_pb_lockout: int,
    rx_pb_max: int,
    rx_origin_i: int,
    rx_soft: bool,
    rx_decrease: bool,
) -> Prescription | None:
    """A one-step prescription for any drug of the spec, or None outside the input ranges."""
    drugs = tuple(spec.drugs)
    if not (0 <= rx_drug_i < len(drugs) and 0 <= rx_origin_i < len(_ORIGINS)):
        return None
    valid = (rx_conc >= 1) & (rx_confirm >= 1) & (rx_dose >= 0) & (rx_max >= 1)
    bolus = None
    if rx_bolus:
        valid &= (rx_pb_mass >= 1) & (rx_pb_lockout >= 0) & (rx_pb_max >= 1)
        bolus = PatientBolus(rx_pb_mass, rx_pb_lockout, rx_pb_max)
    if not valid:
        return None
    return Prescription(
        drug=drugs[rx_drug_i],
        concentration_ng_per_ml=rx_conc,
        confirm_concentration_ng_per_ml=rx_confirm,
        max_daily_dose_ng=rx_max,
        steps=(Step(0, rx_dose, "hour" if rx_hourly else "day"),),
        patient_bolus=bolus,
        spasticity_origin=_ORIGINS[rx_origin_i],
        confirm_soft_limits=rx_soft,
        confirm_decrease=rx_decrease,
    )


def frame(spec: Spec, state: str, devices: tuple[str | None, ...], **v: Any) -> PumpData | None:
    """The data of a model in *state*, built from the values *v* (see FRAME_PARAMS).

    *devices* are the devices the state may have (None for no device). Returns None when a
    value is outside the ranges the spec allows, so that the obligation's precondition
    excludes it.
    """
    if not 0 <= v["dev_i"] < len(devices):
        return None
    device = devices[v["dev_i"]]
    dev = spec.devices.get(device or "")
    drugs = tuple(spec.drugs)
    # the reservoir
    drug = _pick(drugs, v["drug_i"])
    conc, level = v["conc"], v["level"]
    if drug is None and (v["drug_i"] != -1 or conc != 0 or level != 0):
        return None
    if drug is not None and not 1 <= conc <= spec.drugs[drug].max_concentration_ng_per_ml.value:
        return None
    # Range conditions on symbolic values are gathered into one (see pumpsafety.logic):
    # the solver then splits a frame once on all of them, not once per condition.
    valid = level >= 0
    if dev is None:
        valid &= level == 0
    # the program: whatever compile_program accepts for this device
    program: Program | None = None
    if v["has_program"]:
        if dev is None:
            return None
        rx = prescription(
            spec,
            v["p_drug_i"],
            v["p_conc"],
            v["p_conc"],
            v["p_dose"],
            False,
            v["p_max"],
            v["p_bolus"],
            v["pb_mass"],
            v["pb_lockout"],
            v["pb_max"],
            0,
            True,
            False,
        )
        if rx is None:
            return None
        compiled = compile_program(spec, rx, dev)
        if not isinstance(compiled, Program):
            return None
        program = compiled
    # the history: a basal segment over the whole last day and one past point dose, both of
    # the program's drug (or the reservoir's), with free amounts. Both records are always
    # there (a zero amount stands for no delivery): one case for the solver instead of four.
    recent: list[Delivery] = []
    h_drug = program.drug if program is not None else drug
    h_conc = program.concentration_ng_per_ml if program is not None else conc
    valid &= (v["hist_rate"] >= 0) & (v["hist_point_nl"] >= 0)
    if h_drug is not None:
        vol = v["hist_rate"] * DAY_S
        recent.append(
            Delivery(
                "basal",
                NOW_S - DAY_S,
                NOW_S,
                h_drug,
                h_conc,
                vol,
                vol * h_conc,
                state,
                v["hist_rate"],
            )
        )
        at = NOW_S - HISTORY_POINT_AGE_S
        vol = v["hist_point_nl"] * DAY_S
        recent.append(Delivery("patient_bolus", at, at, h_drug, h_conc, vol, vol * h_conc, state))
    else:
        valid &= (v["hist_rate"] == 0) & (v["hist_point_nl"] == 0)
    # patient bolus times: up to two, the later one last_bolus_age seconds ago
    n_times, age = v["n_times"], v["last_bolus_age"]
    if not 0 <= n_times <= 2:
        return None
    times = (NOW_S - DAY_S + 60, NOW_S - age)[2 - n_times :]
    valid &= (age >= 0) & ((n_times != 2) | (age < DAY_S - 60))
    # trial
    trial_drug = _pick(drugs, v["trial_drug_i"])
    if trial_drug is None and v["trial_drug_i"] != -1:
        return None
    n_trial = v["n_trial"]
    if not 0 <= n_trial <= TRIAL_DOSES_MAX or (trial_drug is None and n_trial):
        return None
    trial_doses: tuple[tuple[int, int], ...] = ()
    if trial_drug is not None and n_trial:
        t = spec.drugs[trial_drug].trial
        seq = t.bolus_doses_ng if t is not None else ()
        if n_trial > len(seq):
            return None
        trial_doses = tuple((NOW_S - (n_trial - i) * DAY_S, seq[i]) for i in range(n_trial))
    # what is known of a trial: its result while it is evaluated, its effective bolus after
    # implant (I0 keeps both apart by phase; the configuration fixes what a phase rules out)
    improvement: int | None = None
    if state in evaluating_states(spec):
        _, lo, hi = EVENT_ARGS["end_trial"]["improvement_percent"]
        valid &= v["improvement"] >= lo
        if hi is not None:
            valid &= v["improvement"] <= hi
        improvement = v["improvement"]
    valid &= v["trial_eff"] >= 0
    # the daily dose of the last program of the program's drug, if one was given
    last_daily: tuple[tuple[str, int], ...] = ()
    if v["has_last_daily"]:
        last_drug = _pick(drugs, v["p_drug_i"])
        if last_drug is None:
            return None
        valid &= v["last_daily"] >= 0
        last_daily = ((last_drug, v["last_daily"]),)
    # a value outside its range is ruled out only where the frame uses it
    valid &= (v["increase_age"] >= 0) & (v["dead_volume"] >= 0) & (v["fills"] >= 0)
    if drug is not None:
        valid &= v["refill_due_in"] >= -DAY_S
    battery = dev is not None and dev.has_battery and dev.implanted
    if battery:
        valid &= (v["eri_in"] >= -DAY_S) & (v["eos_after_eri"] >= 0)
    else:
        valid &= not_(v["eri"])
    if not valid:
        return None
    return PumpData(
        now_s=NOW_S,
        trial_drug=trial_drug,
        trial_doses=trial_doses,
        trial_improvement_percent=improvement,
        trial_effective_dose_ng=v["trial_eff"],
        device=device,
        catheter_dead_volume_nl=v["dead_volume"],
        catheter_primed=v["primed"],
        implanted_at_s=NOW_S - 50 * DAY_S if dev is not None and dev.implanted else None,
        eri_at_s=NOW_S + v["eri_in"] if battery else None,
        eos_at_s=NOW_S + v["eri_in"] + v["eos_after_eri"] if battery else None,
        drug=drug,
        concentration_ng_per_ml=conc,
        reservoir_nl_s_per_day=level,
        residual_recorded=v["residual_recorded"],
        filled_this_session=v["filled"],
        fills=v["fills"],
        refill_due_at_s=NOW_S + v["refill_due_in"] if drug is not None else None,
        program=program,
        last_increase_s=NOW_S - v["increase_age"],
        last_daily_by_drug=last_daily,
        low_reservoir_active=v["low"],
        empty_active=v["empty"],
        refill_overdue_active=v["overdue"],
        battery_eri_active=v["eri"],
        patient_bolus_times=times,
        recent=tuple(recent),
    )
