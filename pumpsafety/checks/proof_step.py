"""One step of the real model from a symbolic frame, and the check that it keeps the invariants.

These helpers are called by the generated obligations (see ``obligations.py``). They drive
the model through the path its public surface takes: an event through ``fire``'s
transition (``PumpModel._fire``); a clock event, which only the model raises, through the
internal path the model takes when one is due; the passing of time one stretch at a time
(``PumpModel._stretch``), of which ``advance`` is a sequence. What settling raises after an
event's transition or a stretch is left to the clock events' own obligations.
"""

from __future__ import annotations

import logging
from typing import Any

from pumpsafety.checks.proof_frame import FRAME_PARAMS, PRESCRIPTION_PARAMS, frame, prescription
from pumpsafety.checks.proof_invariants import (
    alarms_raised,
    broken_invariants,
    evaluating_states,
    invariants_hold,
    needs_matching_program,
)
from pumpsafety.errors import PumpSafetyError
from pumpsafety.inputs import EVENT_ARGS
from pumpsafety.logic import any_of
from pumpsafety.machine import PumpModel, Snapshot
from pumpsafety.records import PumpData
from pumpsafety.spec import Spec

__all__ = [
    "ADVANCE",
    "UNKNOWN_NAME",
    "arg_params",
    "build_args",
    "is_clock_step",
    "obligation_holds",
    "pre_holds",
    "prepare",
    "step_failure",
    "step_holds",
    "step_outcome",
    "step_taken",
    "witness_taken",
]

ADVANCE = "advance"  # the passing of time, proved per state like a trigger
UNKNOWN_NAME = "not_in_spec"  # a drug or device name the spec does not declare


def arg_params(trigger: str) -> dict[str, str]:
    """Parameter names and annotations of the symbolic arguments of *trigger*."""
    if trigger == ADVANCE:
        return {"a_dt_s": "int"}
    out: dict[str, str] = {}
    for name, (kind, _, _) in EVENT_ARGS.get(trigger, {}).items():
        if kind == "name":
            out[f"a_{name}_i"] = "int"
        elif kind == "bool":
            out[f"a_{name}"] = "bool"
        elif kind == "prescription":
            out.update(PRESCRIPTION_PARAMS)
        else:
            out[f"a_{name}"] = "int"
    return out


def build_args(spec: Spec, trigger: str, **v: Any) -> dict[str, Any] | None:
    """The keyword arguments of *trigger* from the symbolic values *v*, or None if none fit."""
    if trigger == ADVANCE:
        return {"dt_s": v["a_dt_s"]}
    out: dict[str, Any] = {}
    for name, (kind, _, _) in EVENT_ARGS.get(trigger, {}).items():
        if kind == "name":
            ids = (*(spec.drugs if name == "drug" else spec.devices), UNKNOWN_NAME)
            i = v[f"a_{name}_i"]
            if not 0 <= i < len(ids):
                return None
            out[name] = ids[i]
        elif kind == "prescription":
            rx = prescription(spec, **{k: v[k] for k in PRESCRIPTION_PARAMS})
            if rx is None:
                return None
            out[name] = rx
        else:
            out[name] = v[f"a_{name}" if kind != "name" else name]
    return out


def is_clock_step(spec: Spec, trigger: str) -> bool:
    """*trigger* is raised by the model itself, inside an event or the passing of time."""
    return trigger in spec.clock_triggers and trigger not in spec.external_triggers


def pre_holds(
    spec: Spec,
    state: str,
    devices: tuple[str | None, ...],
    *,
    mid_event: bool = False,
    **v: Any,
) -> bool:
    """The frame is within the spec's ranges and satisfies every invariant (with
    *mid_event*, those that also hold inside an event: where a clock event starts)."""
    data = frame(spec, state, devices, **v)
    return data is not None and invariants_hold(spec, state, data, mid_event=mid_event)


def prepare(spec: Spec) -> None:
    """Build, before any analysis, everything the model and the invariants derive from *spec*.

    Values first built while CrossHair traces a path are built from its symbolic stand-ins
    for sets and dicts, and every later lookup in them is traced too: a membership test in
    the table of clock events then costs about a millisecond on every path instead of
    nanoseconds.
    """
    PumpModel(spec)  # the shared transitions machine and its per-state event tables
    needs_matching_program(spec)
    evaluating_states(spec)
    alarms_raised(spec, spec.initial, PumpData())  # the table of watched clock events
    _ = (spec.triggers, spec.external_triggers, spec.clock_triggers)


def _admitted(
    spec: Spec,
    state: str,
    devices: tuple[str | None, ...],
    trigger: str,
    mid_event: bool,
    v: dict[str, Any],
) -> tuple[PumpData, dict[str, Any]] | None:
    """The frame and the arguments built from *v*, if the frame is within the spec's ranges,
    satisfies the invariants (with *mid_event*, those that hold inside an event) and the
    arguments fit the trigger; else None."""
    data = frame(spec, state, devices, **{k: v[k] for k in FRAME_PARAMS})
    if data is None or not invariants_hold(spec, state, data, mid_event=mid_event):
        return None
    args = build_args(spec, trigger, **v)
    return None if args is None else (data, args)


def obligation_holds(
    spec: Spec,
    state: str,
    devices: tuple[str | None, ...],
    trigger: str,
    mid_event: bool,
    **v: Any,
) -> bool:
    """A step obligation as one implication: an admitted frame (see ``pre_holds``) with
    arguments that fit keeps the invariants when *trigger* fires.

    Stated as an implication in the body rather than as a PEP 316 precondition, so that
    each path builds its frame once (a precondition is evaluated apart from the body, and
    both would build it). A frame outside the precondition makes the implication true.
    """
    admitted = _admitted(spec, state, devices, trigger, mid_event, v)
    if admitted is None:
        return True
    return step_holds(spec, state, admitted[0], trigger, admitted[1])


def witness_taken(
    spec: Spec,
    state: str,
    devices: tuple[str | None, ...],
    trigger: str,
    mid_event: bool,
    **v: Any,
) -> bool:
    """Whether *v* builds an admitted frame from which *trigger* is taken (not refused)."""
    admitted = _admitted(spec, state, devices, trigger, mid_event, v)
    return admitted is not None and step_taken(spec, state, admitted[0], trigger, admitted[1])


def step_holds(
    spec: Spec, state: str, data: PumpData | None, trigger: str, args: dict[str, Any] | None
) -> bool:
    """Fire *trigger* (or let time pass) from (*state*, *data*); the invariants still hold.

    A refused event must leave the snapshot unchanged. Any other exception propagates, and
    CrossHair reports it as a counterexample.
    """
    return step_failure(spec, state, data, trigger, args) is None


def step_taken(
    spec: Spec, state: str, data: PumpData | None, trigger: str, args: dict[str, Any] | None
) -> bool:
    """Whether *trigger* is taken (not refused) from (*state*, *data*)."""
    return step_outcome(spec, state, data, trigger, args)[0]


def step_failure(
    spec: Spec, state: str, data: PumpData | None, trigger: str, args: dict[str, Any] | None
) -> str | None:
    """What goes wrong when *trigger* fires from (*state*, *data*), or None if nothing does."""
    return step_outcome(spec, state, data, trigger, args)[1]


def step_outcome(
    spec: Spec, state: str, data: PumpData | None, trigger: str, args: dict[str, Any] | None
) -> tuple[bool, str | None]:
    """Whether the step was taken (not refused), and what went wrong (None: nothing)."""
    # each log record reads the clock: CrossHair would branch on it forever
    logging.getLogger("transitions").setLevel(logging.ERROR)
    if data is None or args is None:
        return False, None  # excluded by the precondition
    model = PumpModel.from_snapshot(spec, Snapshot(state, data))
    before = model.snapshot()
    try:
        if trigger == ADVANCE:
            # advance(dt) is a settle, then stretches until the target: one stretch from
            # any frame that keeps the invariants covers them all (see _stretch). A stretch
            # delivers, then settles; what settling raises is proved by the clock events'
            # own obligations, which start where this one ends (see _after_delivery).
            dt_s = args["dt_s"]
            if dt_s < 0:
                model.advance(dt_s)  # refused: the clock never runs backwards
            model._settle()
            if model.now_s < before.data.now_s + dt_s:
                model._deliver_until(before.data.now_s + dt_s)
                return True, _after_delivery(spec, model)
        elif is_clock_step(spec, trigger):
            model._trigger(trigger, {})  # the path advance() takes when the event is due
            model._settle()
        else:
            # fire() is the event's transition, then settling: as after a stretch, what
            # settling raises is proved by the clock events' own obligations
            model._fire(trigger, args)
            return True, _after_delivery(spec, model)
    except PumpSafetyError as exc:
        if model.snapshot() == before:
            return False, None
        return False, f"refused ({type(exc).__name__}) but changed the model"
    if invariants_hold(spec, model.state, model.data):
        return True, None
    broken = ", ".join(broken_invariants(spec, model.state, model.data))
    return True, f"after the step ({model.state}) {broken} no longer holds"


def _after_delivery(spec: Spec, model: PumpModel) -> str | None:
    """What is wrong after the delivery part of a stretch, or after an event's transition
    (before settling), or None.

    The invariants that hold inside an event must hold; I6 too, unless a clock event is
    due, which settling raises next: that path is a clock event's own obligation, from
    any frame that satisfies the invariants that hold inside an event.
    """
    data = model.data
    _, due = model._due()
    if invariants_hold(spec, model.state, data, mid_event=True) & (
        any_of(due) | alarms_raised(spec, model.state, data)
    ):
        return None
    broken = ", ".join(broken_invariants(spec, model.state, data))
    where = f"at {data.now_s} s ({model.state})"
    return f"after the step, before settling, {where} {broken} no longer holds"
