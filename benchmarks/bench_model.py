"""Model throughput and growth with events: run `python benchmarks/bench_model.py`.

Prints medians over repeated runs on this machine:
1. events per second of PumpModel next to a bare `transitions` machine with the same states
   and transitions and no guards or effects (the ratio is the cost of the safety model);
2. wall time to simulate 1 and 7 years of therapy with monthly refills and daily patient
   boluses (the ratio shows growth with events), and of a bare 1- and 7-year advance with
   nothing happening (the ratio shows no growth with simulated seconds);
3. the cost of a new PumpModel for a spec that already has one (the models of a spec share
   one `transitions` machine) next to the cost of building that machine.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable

from transitions import Machine

from pumpsafety import PatientBolus, Prescription, PumpModel, load_spec

DAY = 86_400
HOUR = 3_600
SPEC = load_spec()
CONC = 500_000
RX = Prescription.constant(
    "baclofen",
    CONC,
    100_000,
    max_daily_dose_ng=400_000,
    spasticity_origin="spinal",
    confirm_soft_limits=True,
    patient_bolus=PatientBolus(mass_ng=20_000, lockout_s=4 * HOUR, max_per_day=4),
)
CYCLE = [
    ("detect_motor_stall", {}),
    ("recover_stall", {}),
    ("stop_delivery", {"confirm_withdrawal_risk": True}),
    ("resume_delivery", {}),
]


def median_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def new_pump() -> PumpModel:
    m = PumpModel(SPEC)
    m.fire("start_single_shot_trial", drug="baclofen")
    m.fire("give_trial_bolus", mass_ng=50_000)
    m.advance(8 * HOUR)
    m.fire("end_trial", improvement_percent=70)
    m.fire("implant", device="synchromed_ii_40", catheter_dead_volume_nl=100_000)
    m.advance(DAY)
    _refill(m, first=True)
    return m


def _refill(m: PumpModel, *, first: bool = False) -> None:
    m.fire("begin_refill")
    m.fire("aspirate", residual_nl=m.reservoir_nl)
    m.fire(
        "fill",
        drug="baclofen",
        concentration_ng_per_ml=CONC,
        confirm_concentration_ng_per_ml=CONC,
        volume_nl=10_000_000,
    )
    m.fire("finish_refill")
    if m.state == "awaiting_program":
        m.fire("program", prescription=RX)
        m.fire("prime", volume_nl=240_000)


def model_events(n: int) -> int:
    m = new_pump()
    fired = 0
    while fired < n:
        for event, args in CYCLE:
            m.fire(event, **args)
            fired += 1
    return fired


def bare_machine() -> tuple[object, Machine]:
    class Model:
        pass

    model = Model()
    machine = Machine(
        model=model,
        states=list(SPEC.states),
        initial="delivering",
        auto_transitions=False,
        ignore_invalid_triggers=False,
        queued=False,
    )
    for t, src, dest, _ in SPEC.expanded():
        machine.add_transition(t.trigger, src, dest)
    return model, machine


def bare_events(n: int) -> int:
    model, _ = bare_machine()
    fired = 0
    while fired < n:
        for event, _args in CYCLE:
            model.trigger(event)  # type: ignore[attr-defined]
            fired += 1
    return fired


def therapy(years: int) -> int:
    """Daily patient boluses, a refill every 30 days, pump replacement at ERI."""
    m = new_pump()
    end = m.now_s + years * 365 * DAY
    day = 0
    while m.now_s < end:
        m.advance(DAY)
        day += 1
        if m.state == "alarm_battery_eri" or m.state == "end_of_service":
            m.fire("replace_pump", device="synchromed_ii_40")
            _refill(m, first=True)
        elif day % 30 == 0:
            _refill(m)
        if "request_patient_bolus" in m.allowed_events():
            m.fire("request_patient_bolus")
    return len(m.log)


def idle(years: int) -> int:
    m = new_pump()
    m.advance(years * 365 * DAY)
    return len(m.log)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--events", type=int, default=4_000)
    args = parser.parse_args()
    logging.getLogger("transitions").setLevel(logging.WARNING)
    n = args.events
    t_model = median_s(lambda: model_events(n), args.repeat)
    t_bare = median_s(lambda: bare_events(n), args.repeat)
    print(
        f"events/s  PumpModel {n / t_model:>10,.0f}   bare transitions {n / t_bare:>10,.0f}   "
        f"ratio {t_model / t_bare:.1f}x slower (median of {args.repeat}, {n} events)"
    )
    t1 = median_s(lambda: therapy(1), args.repeat)
    t7 = median_s(lambda: therapy(7), args.repeat)
    e1, e7 = therapy(1), therapy(7)
    print(
        f"therapy   1 year {t1:.3f} s ({e1} log entries)   7 years {t7:.3f} s ({e7} log entries)   "
        f"time ratio {t7 / t1:.2f}, log ratio {e7 / e1:.2f}"
    )
    many = 1_000
    t_new = median_s(lambda: [PumpModel(SPEC) for _ in range(many)], args.repeat) / many
    t_machine = median_s(bare_machine, args.repeat)
    print(
        f"new model {t_new * 1e6:.1f} us (shared machine)   building the machine "
        f"{t_machine * 1e3:.2f} ms   ratio {t_machine / t_new:.0f}x"
    )
    i1 = median_s(lambda: idle(1), args.repeat)
    i7 = median_s(lambda: idle(7), args.repeat)
    print(
        f"idle      1 year {i1 * 1e3:.2f} ms ({idle(1)} entries)   7 years {i7 * 1e3:.2f} ms "
        f"({idle(7)} entries)   time ratio {i7 / i1:.2f}"
    )


if __name__ == "__main__":
    main()
