"""Proof obligations generated from a spec, as the source text of a module CrossHair analyses.

One step obligation per (state, trigger) pair the spec allows, plus one per state for the
passing of time (``advance``): from any frame that satisfies the dose invariants, the step
keeps them. The obligations are written out as top-level functions with PEP 316
contracts because CrossHair needs module-level functions whose preconditions mention only
their parameters and module globals.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from pumpsafety.checks.contracts import CONTRACTS
from pumpsafety.checks.proof_frame import FRAME_PARAMS, TRIAL_DOSES_MAX
from pumpsafety.checks.proof_invariants import (
    BEFORE_IMPLANT,
    INVARIANTS,
    _device_expected,
    evaluating_states,
)
from pumpsafety.checks.proof_step import ADVANCE, arg_params, is_clock_step
from pumpsafety.inputs import EVENT_ARGS
from pumpsafety.spec import Spec

__all__ = [
    "BOLUS_TIMES_READERS",
    "CONFIG_PARAMS",
    "LAST_DAILY_READERS",
    "ORIGIN_READERS",
    "READ_ONLY_WHEN",
    "SPLITS",
    "SPLIT_VALUES",
    "WHEN_SPLITS",
    "WITNESS_PREFIX",
    "Obligation",
    "case_name",
    "configuration",
    "generate",
    "load_module",
    "module_source",
]


@dataclass(frozen=True, slots=True)
class Obligation:
    """One thing to prove: a dose contract, or one step of the model from one state."""

    name: str
    kind: str  # "contract" | "step"
    state: str | None
    trigger: str | None
    requirements: tuple[str, ...]
    statement: str
    # a case split: the parameters fixed in each case (see SPLIT_VALUES), one case per
    # combination of their values; every frame and argument falls in exactly one case, so
    # the obligation is proved when every case is. Empty: proved as one.
    split: tuple[str, ...] = ()

    @property
    def cases(self) -> tuple[tuple[tuple[str, int], ...], ...]:
        """The cases of the split, each as (parameter, value) pairs; ((),) when unsplit.

        Where a parameter is unread (see READ_ONLY_WHEN), only its first value is kept: the
        frames of its other values are the same frames.
        """
        return tuple(
            case
            for case in itertools.product(
                *(tuple((k, v) for v in SPLIT_VALUES[k]) for k in self.split)
            )
            if all(_read(dict(case), k) or v == SPLIT_VALUES[k][0] for k, v in case)
        )


def _read(case: dict[str, int], param: str) -> bool:
    """Whether the frame reads *param* in *case* (see READ_ONLY_WHEN)."""
    condition = READ_ONLY_WHEN.get(param)
    return condition is None or condition[0] not in case or case[condition[0]] == condition[1]


def case_name(name: str, case: tuple[tuple[str, int], ...]) -> str:
    """The function name of one case of obligation *name* (*name* itself when unsplit)."""
    return name + "".join(f"__{k}_{int(value)}" for k, value in case)


# frame parameters fixed in every obligation (the configuration); configuration() also fixes
# what the state's phase rules out (I0); the rest are symbolic
CONFIG_PARAMS = ("dev_i", "drug_i", "conc", "p_drug_i", "p_conc", "trial_drug_i")
# the guards that read the daily dose of the last program (PumpData.last_daily_by_drug);
# a test checks that no other code of the model reads it
LAST_DAILY_READERS = frozenset({"titration_allowed"})
# the guards and the effects (by event) that read the times of the last patient boluses
# (PumpData.patient_bolus_times); a test checks that no other code of the model, and no
# invariant, reads them
BOLUS_TIMES_READERS = frozenset({"lockout_elapsed", "bolus_count_below_max"})
BOLUS_TIMES_EFFECTS = frozenset({"request_patient_bolus"})
# the guards that read a prescription's spasticity origin (Prescription.spasticity_origin);
# a test checks that no other code of the model reads it
ORIGIN_READERS = frozenset({"titration_allowed"})
# case splits: the parameters a step is proved for one value at a time, by the kind of its
# arguments (see EVENT_ARGS; ADVANCE for the passing of time). A prescription's structure (a
# patient bolus or none, an hourly or a daily step) multiplies every way the program can be
# refused, the frame's own program (none, or one with a patient bolus or without) every way
# the window rule can count what was delivered under it (a frame's program is decided before
# the event, so its cases share no work), whether the frame records a last program's daily
# dose, which the titration rule compares the new one with, and so does the number of trial
# doses listed in a trial's 24 h window, which the window rule and the passing of time walk;
# apart, each case is a search the solver finishes. Only parameters free in the
# obligation's frame or arguments are split.
SPLITS: dict[str, tuple[str, ...]] = {
    "prescription": (
        "rx_bolus",
        "rx_hourly",
        "has_program",
        "p_bolus",
        "has_last_daily",
        "n_trial",
    ),
    ADVANCE: ("n_trial",),
}
# case splits by the transitions' own conditions: the frame parameter each one reads. An
# event whose transitions from a state are told apart by such a condition (a program given
# with the catheter primed, or not) is proved one branch at a time; a test checks that each
# condition reads the data field the parameter sets and nothing else.
WHEN_SPLITS: dict[str, tuple[str, ...]] = {
    "catheter_primed": ("primed",),
    "catheter_unprimed": ("primed",),
}
# the values of each parameter a case split may fix: every value the frame admits (the
# first case of a split obligation is the one sampled: a frame with a program comes first,
# as most states that take a program hold one)
SPLIT_VALUES: dict[str, tuple[int, ...]] = {
    "primed": (False, True),
    "rx_bolus": (False, True),
    "rx_hourly": (False, True),
    "has_program": (True, False),
    "p_bolus": (False, True),
    "has_last_daily": (True, False),
    "n_trial": tuple(range(TRIAL_DOSES_MAX + 1)),
}
# parameter -> (parameter, value): the frame reads the first only where the second has that
# value (the program's patient bolus only where there is a program); in a case where it is
# unread, its first value stands for all (a test checks that the frames are the same)
READ_ONLY_WHEN: dict[str, tuple[str, int]] = {"p_bolus": ("has_program", True)}


def configuration(
    spec: Spec, state: str, trigger: str
) -> tuple[tuple[str | None, ...], dict[str, int]]:
    """The device and drug a state's frame is proved for, and the fixed parameter values.

    The drug is the spec's first drug at its strongest supplied concentration; the device
    is the first external device in a continuous trial, the first implanted device with
    patient boluses where the state needs a device, and none elsewhere.

    What I0 rules out in the state's phase is fixed too: before implant nothing of a trial
    is condensed and no program was given; from implant on no trial dose is listed; the
    improvement is free only where a trial is evaluated. The daily
    dose of the last program is free only for the steps whose guards read it
    (LAST_DAILY_READERS), the spasticity origin of a prescription argument (ORIGIN_READERS)
    and the times of the last patient boluses likewise (BOLUS_TIMES_READERS, and the event
    whose effect reads them): no other step can tell their values apart, so one value
    stands for all. (A frame's bolus times are a slice whose length is symbolic, which
    CrossHair fixes to each of its values in turn: left free, they would triple every
    search that cannot tell them apart.)
    """
    drug_id = next(iter(spec.drugs))
    drug = spec.drugs[drug_id]
    conc = max(drug.supplied_concentrations_ng_per_ml, default=0)
    conc = conc or drug.max_concentration_ng_per_ml.value
    device: str | None = None
    if state == "trial_continuous":
        device = next(d for d, s in spec.devices.items() if not s.implanted)
    elif _device_expected(spec, state):
        device = next(d for d, s in spec.devices.items() if s.implanted and s.patient_bolus)
    has_drug = device is not None
    values = {
        "dev_i": 0,
        "drug_i": 0 if has_drug else -1,
        "conc": conc if has_drug else 0,
        "p_drug_i": 0,
        "p_conc": conc,
        "trial_drug_i": 0,
    }
    guards = {
        g
        for t, src, _dest, when in spec.expanded()
        if src == state and t.trigger == trigger
        for g in (*t.guards, *(w.removeprefix("not:") for w in when))
    }
    if spec.states[state].phase in BEFORE_IMPLANT:
        values |= {"trial_eff": 0, "has_last_daily": False, "last_daily": 0}
    else:
        values |= {"n_trial": 0}
        if not LAST_DAILY_READERS & guards:
            values |= {"has_last_daily": False, "last_daily": 0}
    if not ORIGIN_READERS & guards:
        values |= {"rx_origin_i": 0}
    if not BOLUS_TIMES_READERS & guards and trigger not in BOLUS_TIMES_EFFECTS:
        values |= {"n_times": 0, "last_bolus_age": 0}
    if state not in evaluating_states(spec):
        values |= {"improvement": 0}
    return (device,), values


def generate(spec: Spec) -> tuple[Obligation, ...]:
    """Every obligation for *spec*: the dose contracts, then the steps in spec order."""
    out = [
        Obligation(f"contract__{name}", "contract", None, None, c.requirements, c.statement)
        for name, c in CONTRACTS.items()
    ]
    pairs: dict[tuple[str, str], list[str]] = {}
    for t, src, _dest, _when in spec.expanded():
        reqs = pairs.setdefault((src, t.trigger), [])
        reqs.extend(r for r in t.requirements if r not in reqs)
    inv = ", ".join(INVARIANTS)
    for (state, trigger), reqs in pairs.items():
        out.append(
            Obligation(
                f"step__{state}__{trigger}",
                "step",
                state,
                trigger,
                tuple(sorted({*reqs, "SR-DOSE-01"})),
                f"from {state}, {trigger} keeps {inv}",
                _split(spec, state, trigger),
            )
        )
    timed = tuple(dict.fromkeys(s for s in spec.states if not spec.states[s].terminal))
    for state in timed:
        out.append(
            Obligation(
                f"step__{state}__{ADVANCE}",
                "step",
                state,
                ADVANCE,
                ("SR-DOSE-01", "SR-DEL-02", "SR-RES-03", "SR-RES-04"),
                f"in {state}, letting any time pass keeps {inv}",
                _split(spec, state, ADVANCE),
            )
        )
    return tuple(out)


def _split(spec: Spec, state: str, trigger: str) -> tuple[str, ...]:
    """The parameters (see SPLITS and WHEN_SPLITS) the obligation of *trigger* in *state* is
    split on: those of its arguments' kinds and of its transitions' own conditions that are
    free in its frame or arguments."""
    kinds = (
        [ADVANCE] if trigger == ADVANCE else [k for k, _, _ in EVENT_ARGS.get(trigger, {}).values()]
    )
    own = [
        w.removeprefix("not:")
        for t, src, _dest, _when in spec.expanded()
        if src == state and t.trigger == trigger
        for w in t.when
    ]
    devices, fixed = configuration(spec, state, trigger)
    params = {**FRAME_PARAMS, **arg_params(trigger)}
    if devices == (None,):
        # a frame without a device holds no program (see frame): a case with one would be
        # empty, and what the frame reads only of a program would split nothing
        for k in (
            "has_program",
            *(k for k, (p, _) in READ_ONLY_WHEN.items() if p == "has_program"),
        ):
            del params[k]
    wanted = dict.fromkeys(
        [
            *(k for w in own for k in WHEN_SPLITS.get(w, ())),
            *(k for kind in kinds for k in SPLITS.get(kind, ())),
        ]
    )
    return tuple(k for k in wanted if k in params and k not in fixed)


_STEP = '''

def {name}({params}) -> bool:
    """{statement}{case}.

    post: __return__
    """
    return obligation_holds(SPEC, {state!r}, {devices!r}, {trigger!r}, {mid_event!r}, {kw})
'''

_WITNESS = '''

def {witness}({params}) -> bool:
    """Witness search for {name}: a counterexample is a frame from which the step is taken.

    post: not __return__
    """
    return witness_taken(SPEC, {state!r}, {devices!r}, {trigger!r}, {mid_event!r}, {kw})
'''

WITNESS_PREFIX = "witness__"


def module_source(spec: Spec, obligations: tuple[Obligation, ...]) -> str:
    """Source text of a module defining one function per step obligation, one per case of a
    split obligation (see ``case_name``), and for each obligation a witness search
    (``witness__`` + name): the same frames, with the postcondition that the step is
    refused, so that a counterexample shows a frame from which the step is taken. A proof
    whose frames all refuse the step would say nothing about the step itself."""
    lines = [
        '"""Generated proof obligations (do not edit)."""',
        "",
        "from pumpsafety.checks.proof_step import obligation_holds, prepare, witness_taken",
        "from pumpsafety.spec import load_spec",
        "",
        f"SPEC = load_spec({spec.path!r})",
        "prepare(SPEC)  # before any analysis: see prepare",
    ]
    text = "\n".join(lines)
    for ob in obligations:
        if ob.kind != "step":
            continue
        assert ob.state is not None and ob.trigger is not None
        args = arg_params(ob.trigger)
        devices, config = configuration(spec, ob.state, ob.trigger)
        cases = ob.cases if ob.split else ()
        for case in ((), *cases):
            fixed: dict[str, object] = {**config, **dict(case)}
            free = {k: t for k, t in {**FRAME_PARAMS, **args}.items() if k not in fixed}
            fields = {
                "name": case_name(ob.name, case),
                "witness": WITNESS_PREFIX + ob.name,
                "params": ", ".join(f"{k}: {t}" for k, t in free.items()),
                "statement": ob.statement,
                "case": "".join(f", where {k} is {v}" for k, v in case),
                "state": ob.state,
                "trigger": ob.trigger,
                "devices": devices,
                "mid_event": is_clock_step(spec, ob.trigger),
                "kw": ", ".join(
                    f"{k}={fixed[k]!r}" if k in fixed else f"{k}={k}"
                    for k in (*FRAME_PARAMS, *args)
                ),
            }
            text += _STEP.format(**fields)
            if not case:
                text += _WITNESS.format(**fields)
    return text + "\n"


def load_module(spec: Spec, obligations: tuple[Obligation, ...], directory: Path) -> ModuleType:
    """Write the obligations' module into *directory* (unless it is there) and import it.

    The prover writes the module once and its worker processes then load the same file, so
    the file is written whole or not at all (a worker never reads a half-written one), and a
    module imported from another directory is not reused: its file may be gone, and the
    workers look in *directory*.
    """
    source = module_source(spec, obligations)
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    name = f"pumpsafety_obligations_{digest}"
    path = directory / f"{name}.py"
    cached = sys.modules.get(name)
    if cached is not None and cached.__file__ == str(path) and path.exists():
        return cached  # CrossHair reads the contracts from the source file, so it must exist
    if not path.exists():
        partial = path.with_name(f"{name}.{os.getpid()}.partial")
        partial.write_text(source, encoding="utf-8")
        partial.replace(path)
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]  # never leave a half-run module for the next caller
        raise
    return module
