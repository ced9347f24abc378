"""Builders for models in a given phase of therapy, shared by the scenario tests."""

from __future__ import annotations

from pumpsafety import PatientBolus, Prescription, PumpModel, Spec

DAY = 86_400
HOUR = 3_600

BACLOFEN_500 = 500_000  # ng/ml = 500 mcg/ml


def baclofen_prescription(
    dose_ng_per_day: int = 100_000,
    *,
    max_daily_dose_ng: int = 400_000,
    patient_bolus: PatientBolus | None = None,
    concentration_ng_per_ml: int = BACLOFEN_500,
    confirm_decrease: bool = False,
) -> Prescription:
    return Prescription.constant(
        "baclofen",
        concentration_ng_per_ml,
        dose_ng_per_day,
        max_daily_dose_ng=max_daily_dose_ng,
        patient_bolus=patient_bolus,
        spasticity_origin="spinal",
        confirm_soft_limits=True,
        confirm_decrease=confirm_decrease,
    )


def implanted(
    spec: Spec, *, device: str = "synchromed_ii_40", catheter_nl: int = 100_000
) -> PumpModel:
    """A baclofen patient whose first (50 mcg) screening dose worked; pump implanted."""
    m = PumpModel(spec)
    m.fire("start_single_shot_trial", drug="baclofen")
    m.fire("give_trial_bolus", mass_ng=50_000)
    m.advance(8 * HOUR)
    m.fire("end_trial", improvement_percent=60)
    m.fire("implant", device=device, catheter_dead_volume_nl=catheter_nl)
    return m


def fill(
    m: PumpModel,
    volume_nl: int,
    *,
    residual_nl: int = 0,
    conc: int = BACLOFEN_500,
    drug: str = "baclofen",
) -> None:
    m.fire("begin_refill")
    m.fire("aspirate", residual_nl=residual_nl)
    m.fire(
        "fill",
        drug=drug,
        concentration_ng_per_ml=conc,
        confirm_concentration_ng_per_ml=conc,
        volume_nl=volume_nl,
    )
    m.fire("finish_refill")


def delivering(
    spec: Spec,
    *,
    volume_nl: int = 20_000_000,
    prescription: Prescription | None = None,
    device: str = "synchromed_ii_40",
) -> PumpModel:
    """A baclofen pump delivering 100 mcg/day from 500 mcg/ml, primed, one day after the trial."""
    m = implanted(spec, device=device)
    m.advance(DAY)
    fill(m, volume_nl)
    m.fire("program", prescription=prescription or baclofen_prescription())
    dev = spec.devices[device]
    m.fire("prime", volume_nl=100_000 + dev.pump_tubing_volume_nl.value)
    assert spec.states[m.state].delivers
    return m
