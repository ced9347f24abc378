"""The reference model: a `transitions` machine built from the spec, with exact dose accounting."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from transitions import EventData, Machine

from pumpsafety import dose
from pumpsafety.dose import DAY_S
from pumpsafety.errors import DoseError, EventRejected, PumpSafetyError
from pumpsafety.guards import GUARDS, Ctx, Guard
from pumpsafety.guards import point_mass as _guard_point_mass
from pumpsafety.guards import point_volume_nl as _point_volume_nl
from pumpsafety.inputs import parse_args
from pumpsafety.logic import any_of, max_of, min_of, not_, where
from pumpsafety.records import Delivery, DeliveryKind, EventRecord, Program, PumpData
from pumpsafety.spec import Spec, derived, load_spec

__all__ = ["CLOCK_ORDER", "LogEntry", "PumpModel", "Snapshot"]

LogEntry = Delivery | EventRecord
# when several thresholds fall on the same second, they are raised in this order
CLOCK_ORDER = (
    "service_ended",
    "battery_eri_reached",
    "reservoir_empty",
    "reservoir_low",
    "refill_due_passed",
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The complete state of a model, comparable with ==."""

    state: str
    data: PumpData


class _Engine:
    """The object `transitions` drives: the state name and the model it belongs to."""

    __slots__ = ("owner", "state")

    def __init__(self, owner: PumpModel) -> None:
        self.owner = owner
        self.state = ""


def _condition(name: str, *, refuses: bool) -> Callable[[EventData], bool]:
    """A `transitions` condition that evaluates guard *name* on the triggering model.

    The guard itself is looked up on every evaluation (``PumpModel._guard``), so a guard
    replaced in ``GUARDS`` or by a subclass (a model broken on purpose) takes effect in a
    machine built before the replacement.
    """
    negate = name.startswith("not:")
    guard_name = name.removeprefix("not:")
    if guard_name not in GUARDS:  # load_spec reports it; a hand-built Spec fails here
        raise KeyError(f"unknown guard {guard_name!r}")

    def check(event: EventData) -> bool:
        return _owner(event)._check(guard_name, negate=negate, refuses=refuses)

    check.__name__ = name
    return check


def _apply(event: EventData) -> None:
    _owner(event)._apply()


def _owner(event: EventData) -> PumpModel:
    engine = event.model
    assert isinstance(engine, _Engine)
    return engine.owner


@dataclass(frozen=True, slots=True)
class _Shared:
    """The `transitions` machine of one spec, shared by every model of that spec.

    Building it costs one ``add_transition`` per (transition, source) pair; sharing it makes
    a new model (and a model restored from a snapshot) cheap. The machine holds no model:
    each model passes its own engine to the event it triggers.
    """

    machine: Machine
    external_at: Mapping[str, frozenset[str]]  # state -> external events it has transitions for
    clock_at: Mapping[str, frozenset[str]]  # state -> clock events it has transitions for


def _build_shared(spec: Spec) -> _Shared:
    machine = Machine(
        model=None,
        states=list(spec.states),
        initial=spec.initial,
        auto_transitions=False,
        ignore_invalid_triggers=False,
        queued=False,
        send_event=True,
    )
    external: dict[str, set[str]] = {s: set() for s in spec.states}
    clock: dict[str, set[str]] = {s: set() for s in spec.states}
    expanded = tuple(spec.expanded())
    guard_sets: dict[tuple[str, str], set[tuple[str, ...]]] = {}
    for t, src, _dest, _when in expanded:
        guard_sets.setdefault((src, t.trigger), set()).add(t.guards)
    for t, src, dest, when in expanded:
        # The transition's own conditions, then its guards, then the conditions that route a
        # "resume" transition to one of its destinations. Every destination of one resume
        # transition has the same guards, so a refusal is the same whichever route would
        # have been taken; checking the guards before the route means a proof explores
        # each refusal once rather than once per destination. Where every transition of the
        # event from this state has the same guards (a program given with the catheter
        # primed or not), the guards go first for the same reason: the refusal is the same
        # whichever transition's own conditions hold, and each guard runs once per event
        # (see PumpModel._check).
        own, route = when[: len(t.when)], when[len(t.when) :]
        guards = [_condition(g, refuses=True) for g in t.guards]
        conditions: list[str | Callable[..., bool | None]] = [
            _condition(w, refuses=False) for w in own
        ]
        if len(guard_sets[(src, t.trigger)]) == 1:
            conditions = [*guards, *conditions]
        else:
            conditions += guards
        conditions += [_condition(w, refuses=False) for w in route]
        machine.add_transition(t.trigger, src, dest, conditions=conditions, before=_apply)
        (clock if t.clock else external)[src].add(t.trigger)
    return _Shared(
        machine,
        {s: frozenset(e) for s, e in external.items()},
        {s: frozenset(e) for s, e in clock.items()},
    )


Effect = Callable[[Ctx], tuple[PumpData, list[Delivery]]]
EFFECTS: dict[str, Effect] = {}


def _effect(fn: Effect) -> Effect:
    EFFECTS[fn.__name__] = fn
    return fn


class PumpModel:
    """Reference model of one patient's intrathecal therapy.

    Drive it with :meth:`fire` (events from people and devices) and :meth:`advance`
    (time). Every rejected event raises a :class:`~pumpsafety.PumpSafetyError` subclass
    and leaves state and data unchanged; it is still recorded in :attr:`log`.
    """

    def __init__(self, spec: Spec | None = None, *, start_s: int = 0) -> None:
        self.spec = spec if spec is not None else load_spec()
        self._data = PumpData(now_s=start_s)
        self._log: list[LogEntry] = []
        self._engine = _Engine(self)
        self._ctx: Ctx | None = None
        self._refusal: PumpSafetyError | None = None
        # each guard's verdict in the event being triggered (see _check)
        self._verdicts: dict[str, PumpSafetyError | None] = {}
        self._pending: tuple[PumpData, list[Delivery]] | None = None
        shared = derived(self.spec, "machine", _build_shared)
        self._machine = shared.machine
        self._by_state = shared.external_at
        self._clock_at = shared.clock_at
        self._machine.set_state(self.spec.initial, model=self._engine)

    @classmethod
    def from_snapshot(cls, spec: Spec, snapshot: Snapshot) -> PumpModel:
        """A model in the state and with the data of *snapshot* (the log starts empty)."""
        if snapshot.state not in spec.states:
            raise EventRejected(
                "from_snapshot",
                snapshot.state,
                "not a declared state",
                allowed=tuple(sorted(spec.states)),
                requirement="SR-INPUT-01",
            )
        model = cls(spec, start_s=snapshot.data.now_s)
        model._machine.set_state(snapshot.state, model=model._engine)
        model._data = snapshot.data
        return model

    # --- public surface ---------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._engine.state

    @property
    def data(self) -> PumpData:
        return self._data

    @property
    def now_s(self) -> int:
        return self._data.now_s

    @property
    def log(self) -> tuple[LogEntry, ...]:
        return tuple(self._log)

    def snapshot(self) -> Snapshot:
        return Snapshot(self.state, self._data)

    def allowed_events(self) -> tuple[str, ...]:
        """External events the current state has a transition for (guards not evaluated)."""
        return tuple(sorted(self._by_state[self.state]))

    @property
    def reservoir_nl(self) -> int:
        """Reservoir volume rounded down to whole nl."""
        return self._data.reservoir_nl_s_per_day // DAY_S

    def fire(self, event: str, **args: Any) -> None:
        """Offer *event* with *args*; raise if it is refused. Clock events cannot be fired."""
        record_args = tuple(sorted(args.items()))
        source = self.state
        try:
            self._fire(event, args)
        except PumpSafetyError as err:
            self._log.append(
                EventRecord(
                    self.now_s,
                    event,
                    record_args,
                    False,
                    source,
                    source,
                    error=f"{type(err).__name__}: {err}",
                )
            )
            raise
        self._settle()

    def advance(self, dt_s: int) -> None:
        """Let *dt_s* seconds pass, delivering exactly and raising every threshold on time.

        The cost grows with the number of events in the interval (thresholds, schedule
        steps), not with its length.
        """
        err: DoseError | None = None
        if isinstance(dt_s, bool) or not isinstance(dt_s, int):
            err = dose_time_error(dt_s)
        elif dt_s < 0:
            err = DoseError(
                "dt_s",
                dt_s,
                "0.. s",
                requirement="SR-INPUT-01",
                reason="would move the clock backwards",
            )
        if err is not None:
            args = (("dt_s", dt_s),)
            self._log.append(
                EventRecord(self.now_s, "advance", args, False, self.state, self.state, str(err))
            )
            raise err
        target = self.now_s + dt_s
        self._settle()
        while self.now_s < target:
            self._stretch(target)

    def _stretch(self, target_s: int) -> None:
        """One stretch of :meth:`advance`: deliver up to the next threshold or schedule
        change (or *target_s*, if that comes first), then raise whatever is due.

        Each stretch starts and ends with nothing due, so the proofs of the passing of time
        cover one stretch towards any target; ``advance`` is a sequence of them.
        """
        self._deliver_until(target_s)
        self._settle()

    def _deliver_until(self, target_s: int) -> None:
        """The delivery part of a stretch: up to *target_s* or the next event, if earlier."""
        self._integrate(self._stretch_end(target_s))

    # --- firing --------------------------------------------------------------------------------

    def _fire(self, event: str, args: Mapping[str, Any]) -> None:
        if event not in self.spec.triggers:
            raise EventRejected(
                event,
                self.state,
                "unknown event",
                allowed=self.allowed_events(),
                requirement="SR-INPUT-01",
            )
        if event in self.spec.clock_triggers and event not in self.spec.external_triggers:
            raise EventRejected(
                event,
                self.state,
                "clock events are raised by the model itself",
                requirement="SR-INPUT-01",
            )
        if event not in self._by_state[self.state]:
            allowed = self.allowed_events()
            raise EventRejected(
                event,
                self.state,
                f"not allowed in this state; allowed here: {', '.join(allowed)}",
                allowed=allowed,
                requirement="SR-INPUT-01",
            )
        parsed = parse_args(event, args)
        self._trigger(event, parsed)

    def _trigger(self, event: str, args: dict[str, Any]) -> None:
        source = self.state
        before = self._data
        self._ctx = Ctx(self.spec, before, source, event, args)
        self._refusal = None
        self._verdicts = {}
        self._pending = None
        try:
            moved = self._machine.events[event].trigger(self._engine)
        finally:
            self._ctx = None
            self._verdicts = {}
        if not moved:
            refusal = self._refusal or EventRejected(
                event, source, "no transition's condition holds"
            )
            raise refusal
        assert self._pending is not None
        data, deliveries = self._pending
        self._data = data
        self._log.append(
            EventRecord(
                data.now_s,
                event,
                tuple(sorted(args.items())),
                True,
                source,
                self.state,
                # what the model expected to aspirate (SR-RES-05, SR-RES-08)
                expected_residual_nl_s_per_day=(
                    before.reservoir_nl_s_per_day if event == "aspirate" else None
                ),
            )
        )
        self._log.extend(deliveries)

    def _guard(self, name: str) -> Guard:
        """The guard called *name* (a model broken on purpose overrides this)."""
        return GUARDS[name]

    def _check(self, name: str, *, negate: bool, refuses: bool) -> bool:
        """Whether guard *name* lets the event through (or, negated, refuses it).

        A guard is a function of the event's context alone, which does not change while the
        event is triggered, so each guard runs once per event: the transitions of one event
        that share guards (the routes of a "resume" destination, the primed and unprimed
        branches of a program) reuse its verdict. In a proof this keeps the solver from
        deciding the same guard again on every route.
        """
        assert self._ctx is not None
        if name in self._verdicts:
            refusal = self._verdicts[name]
        else:
            refusal = self._verdicts[name] = self._guard(name)(self._ctx)
        if refuses and refusal is not None and self._refusal is None:
            self._refusal = refusal
        return (refusal is not None) if negate else (refusal is None)

    def _apply(self) -> None:
        ctx = self._ctx
        assert ctx is not None
        self._pending = EFFECTS.get(ctx.event, _no_effect)(ctx)

    # --- time ----------------------------------------------------------------------------------

    def _delivers(self) -> bool:
        d = self._data
        return (
            self.spec.states[self.state].delivers
            and d.program is not None
            and d.drug == d.program.drug
            and d.concentration_ng_per_ml == d.program.concentration_ng_per_ml
        )

    def _rate_nl_per_day(self) -> int:
        if not self._delivers():
            return 0
        assert self._data.program is not None
        return self._data.program.rate_at(self.now_s % DAY_S)

    def _stretch_end(self, target_s: int) -> int:
        """Where a stretch towards *target_s* ends: the target, or the first second before it
        at which a reservoir threshold is crossed, a deadline passes or the schedule changes.

        The candidates are combined with ``logic.min_of``/``where``: in a proof, what happens
        next depends on where the stretch ends, not on which candidate it came from, so the
        choice costs no case split.
        """
        d = self._data
        now = self.now_s
        end = target_s
        if self._delivers():
            assert d.program is not None
            change = d.program.next_change_after(now % DAY_S)
            if change is not None:
                end = min_of(end, now + change)
            rate = self._rate_nl_per_day()
            dev = self.spec.devices[d.device] if d.device else None
            if rate and dev is not None:
                # the next reservoir threshold to announce: the low level, then the empty
                # one (the spec keeps empty below low, so the low level is reached first)
                level_nl: int | None = None
                if not d.low_reservoir_active:
                    level_nl = dev.low_reservoir_alarm_nl.value
                elif not d.empty_active:
                    level_nl = dev.empty_threshold_nl.value
                if level_nl is not None:
                    # at least one second ahead (seconds_until_level is 0 for a level
                    # already reached, which the alarm's flag then covers)
                    secs = dose.seconds_until_level(d.reservoir_nl_s_per_day, level_nl, rate)
                    end = min_of(end, now + max_of(secs, 1))
        for at in (d.refill_due_at_s, d.eri_at_s, d.eos_at_s):
            if at is not None:
                end = where(at > now, min_of(end, at), end)
        return end

    def _integrate(self, until_s: int) -> None:
        d = self._data
        dt = until_s - d.now_s
        rate = self._rate_nl_per_day()
        segments: list[Delivery] = []
        if rate and d.drug is not None:
            dev = self.spec.devices[d.device or ""]
            usable = d.reservoir_nl_s_per_day - dev.empty_threshold_nl.value * DAY_S
            full = min_of(dt, max_of(usable, 0) // rate)
            conc = d.concentration_ng_per_ml
            if full:
                v = rate * full
                segments.append(
                    Delivery(
                        "basal",
                        d.now_s,
                        d.now_s + full,
                        d.drug,
                        conc,
                        v,
                        v * conc,
                        self.state,
                        rate,
                    )
                )
            rest = min_of(usable - rate * full, rate) if full < dt else 0
            if rest > 0:
                start = d.now_s + full
                segments.append(
                    Delivery(
                        "basal",
                        start,
                        start + 1,
                        d.drug,
                        conc,
                        rest,
                        rest * conc,
                        self.state,
                        rest,
                    )
                )
        data = replace(d, now_s=until_s)
        for seg in segments:
            data = _record(data, seg)
        self._data = _prune(data)
        self._log.extend(segments)

    def _settle(self) -> None:
        """Raise every clock event that is due now, in CLOCK_ORDER."""
        for _ in range(len(CLOCK_ORDER) * 4):
            watched, due = self._due()
            # one decision for "anything due?", then the first due event
            if not any_of(due):
                return
            self._trigger(next(e for e, now_due in zip(watched, due, strict=True) if now_due), {})
        raise AssertionError("clock events did not settle")  # pragma: no cover

    def _due(self) -> tuple[list[str], list[bool]]:
        """The clock events this state watches, in CLOCK_ORDER, and whether each is due."""
        watched = [e for e in CLOCK_ORDER if e in self._clock_at[self.state]]
        return watched, [self._is_due(e) for e in watched]

    def _is_due(self, event: str) -> bool:
        d = self._data
        dev = self.spec.devices.get(d.device or "")
        if event in ("reservoir_low", "reservoir_empty"):
            if dev is None or d.drug is None:
                return False
            if event == "reservoir_low":
                return not_(d.low_reservoir_active) & (
                    d.reservoir_nl_s_per_day <= dev.low_reservoir_alarm_nl.value * DAY_S
                )
            return not_(d.empty_active) & (
                d.reservoir_nl_s_per_day <= dev.empty_threshold_nl.value * DAY_S
            )
        if event == "refill_due_passed":
            due = d.refill_due_at_s
            return due is not None and not_(d.refill_overdue_active) & (self.now_s >= due)
        if event == "battery_eri_reached":
            eri = d.eri_at_s
            return eri is not None and not_(d.battery_eri_active) & (self.now_s >= eri)
        assert event == "service_ended"
        return d.eos_at_s is not None and self.now_s >= d.eos_at_s


def dose_time_error(value: object) -> DoseError:
    hint = (
        "is a binary float (not exact)"
        if isinstance(value, float)
        else f"has type {type(value).__name__}"
    )
    return DoseError(
        "dt_s",
        value,
        "an exact integer number of seconds >= 0",
        requirement="SR-INPUT-01",
        reason=hint,
    )


# --- effects: pure functions from the context to the new data -------------------------------------


def _record(data: PumpData, d: Delivery) -> PumpData:
    return replace(
        data,
        reservoir_nl_s_per_day=data.reservoir_nl_s_per_day - d.volume_nl_s_per_day,
        delivered_nl_s_per_day=data.delivered_nl_s_per_day + d.volume_nl_s_per_day,
        delivered_fg_s_per_day=data.delivered_fg_s_per_day + d.mass_fg_s_per_day,
        recent=(*data.recent, d),
    )


def _prune(data: PumpData) -> PumpData:
    horizon = data.now_s - DAY_S
    if data.recent and data.recent[0].end_s <= horizon:
        data = replace(data, recent=tuple(x for x in data.recent if x.end_s > horizon))
    return data


def _point(ctx: Ctx, kind: DeliveryKind) -> tuple[PumpData, list[Delivery]]:
    d = ctx.data
    assert d.drug is not None
    vol = _point_volume_nl(ctx) * DAY_S
    conc = d.concentration_ng_per_ml
    delivery = Delivery(kind, d.now_s, d.now_s, d.drug, conc, vol, vol * conc, ctx.state)
    return _record(d, delivery), [delivery]


def _no_effect(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    return ctx.data, []


def _battery(ctx: Ctx, device: str) -> dict[str, Any]:
    dev = ctx.spec.devices[device]
    now = ctx.data.now_s
    if not dev.has_battery:
        return {"eri_at_s": None, "eos_at_s": None, "battery_eri_active": False}
    assert dev.service_life_s is not None and dev.eri_to_eos_s is not None
    eos = now + dev.service_life_s.value
    return {"eri_at_s": eos - dev.eri_to_eos_s.value, "eos_at_s": eos, "battery_eri_active": False}


def _emptied(data: PumpData) -> dict[str, Any]:
    """The reservoir content leaves the model (pump removed or replaced): count it as aspirated."""
    return {
        "aspirated_nl_s_per_day": data.aspirated_nl_s_per_day + data.reservoir_nl_s_per_day,
        "reservoir_nl_s_per_day": 0,
        "drug": None,
        "concentration_ng_per_ml": 0,
        "program": None,
        "refill_due_at_s": None,
        "low_reservoir_active": False,
        "empty_active": False,
        "refill_overdue_active": False,
        "patient_bolus_times": (),
    }


@_effect
def start_single_shot_trial(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    return replace(
        ctx.data, trial_drug=ctx.args["drug"], trial_doses=(), trial_improvement_percent=None
    ), []


@_effect
def start_continuous_trial(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    p = ctx.prescription
    program = ctx.program
    assert p is not None and program is not None
    vol = ctx.args["volume_nl"]
    return replace(
        ctx.data,
        trial_drug=p.drug,
        trial_doses=(),
        trial_improvement_percent=None,
        device=ctx.args["device"],
        catheter_primed=True,
        catheter_dead_volume_nl=0,
        drug=p.drug,
        concentration_ng_per_ml=p.concentration_ng_per_ml,
        reservoir_nl_s_per_day=vol * DAY_S,
        filled_nl=ctx.data.filled_nl + vol,
        fills=1,
        program=program,
        low_reservoir_active=False,
        empty_active=False,
    ), []


@_effect
def give_trial_bolus(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    d = ctx.data
    mass = ctx.args["mass_ng"]
    assert d.trial_drug is not None
    delivery = Delivery(
        "trial_bolus",
        d.now_s,
        d.now_s,
        d.trial_drug,
        0,
        0,
        dose.ng_to_fg_s_per_day(mass),
        ctx.state,
    )
    data = _record(d, delivery)
    return replace(data, trial_doses=(*d.trial_doses, (d.now_s, mass))), [delivery]


@_effect
def end_trial(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    data = replace(ctx.data, trial_improvement_percent=ctx.args["improvement_percent"])
    if ctx.state == "trial_continuous":
        data = replace(data, device=None, **_emptied(data))
    return data, []


@_effect
def continue_trial(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    return replace(ctx.data, trial_improvement_percent=None), []


@_effect
def implant(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    d = ctx.data
    dev = ctx.args["device"]
    return replace(
        d,
        device=dev,
        catheter_dead_volume_nl=ctx.args["catheter_dead_volume_nl"],
        catheter_primed=False,
        implanted_at_s=d.now_s,
        trial_doses=(),
        trial_improvement_percent=None,
        trial_effective_dose_ng=d.trial_doses[-1][1] if d.trial_doses else 0,
        fills=0,
        last_increase_s=None,
        **_battery(ctx, dev),
        **_emptied(d),
    ), []


@_effect
def begin_refill(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    return replace(ctx.data, residual_recorded=False, filled_this_session=False), []


@_effect
def aspirate(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    d = ctx.data
    return replace(
        d,
        residual_recorded=True,
        reservoir_nl_s_per_day=0,
        aspirated_nl_s_per_day=d.aspirated_nl_s_per_day + d.reservoir_nl_s_per_day,
    ), []


@_effect
def fill(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    d = ctx.data
    drug = ctx.spec.drugs[ctx.args["drug"]]
    conc = ctx.args["concentration_ng_per_ml"]
    vol = ctx.args["volume_nl"]
    stable_s = drug.stability.refill_interval_s(
        first_fill=d.fills == 0, concentration_ng_per_ml=conc
    )
    return replace(
        d,
        drug=drug.id,
        concentration_ng_per_ml=conc,
        reservoir_nl_s_per_day=d.reservoir_nl_s_per_day + vol * DAY_S,
        filled_nl=d.filled_nl + vol,
        filled_this_session=True,
        fills=d.fills + 1,
        refill_due_at_s=d.now_s + stable_s,
        low_reservoir_active=False,
        empty_active=False,
        refill_overdue_active=False,
    ), []


@_effect
def program(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    d = ctx.data
    new = ctx.program
    assert isinstance(new, Program)
    last = dict(d.last_daily_by_drug)
    increased = new.drug in last and new.daily_fg_s_per_day > last[new.drug]
    last[new.drug] = new.daily_fg_s_per_day
    return replace(
        d,
        program=new,
        last_increase_s=d.now_s if increased else d.last_increase_s,
        last_daily_by_drug=tuple(sorted(last.items())),
    ), []


@_effect
def prime(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    data, deliveries = _point(ctx, "priming")
    return replace(data, catheter_primed=True), deliveries


@_effect
def request_patient_bolus(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    data, deliveries = _point(ctx, "patient_bolus")
    # the times a later request is checked against: this one and those of the last 24 h
    # (kept here rather than when time passes, where they are read by nothing)
    horizon = data.now_s - DAY_S
    kept = tuple(t for t in data.patient_bolus_times if t > horizon)
    return replace(data, patient_bolus_times=(*kept, data.now_s)), deliveries


@_effect
def give_clinician_bolus(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    return _point(ctx, "clinician_bolus")


@_effect
def give_catheter_access_bolus(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    d = ctx.data
    assert d.drug is not None
    _, _, mass = _guard_point_mass(ctx)
    delivery = Delivery(
        "catheter_access_bolus",
        d.now_s,
        d.now_s,
        d.drug,
        d.concentration_ng_per_ml,
        0,
        mass,
        ctx.state,
    )
    return _record(d, delivery), [delivery]


@_effect
def low_battery_reset(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    dev = ctx.device
    assert dev is not None and dev.eri_to_eos_s is not None
    d = ctx.data
    eos = d.now_s + dev.eri_to_eos_s.value
    if d.eos_at_s is not None:
        eos = min(eos, d.eos_at_s)
    return replace(
        d,
        program=None,
        battery_eri_active=True,
        eri_at_s=min(d.now_s, d.eri_at_s or d.now_s),
        eos_at_s=eos,
    ), []


@_effect
def revise_catheter(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    return replace(
        ctx.data, catheter_dead_volume_nl=ctx.args["catheter_dead_volume_nl"], catheter_primed=False
    ), []


@_effect
def battery_fault(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    dev = ctx.device
    assert dev is not None and dev.eri_to_eos_s is not None
    now = ctx.data.now_s
    return replace(
        ctx.data, battery_eri_active=True, eri_at_s=now, eos_at_s=now + dev.eri_to_eos_s.value
    ), []


@_effect
def replace_pump(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    d = ctx.data
    dev = ctx.args["device"]
    return replace(
        d,
        device=dev,
        catheter_primed=False,
        implanted_at_s=d.now_s,
        fills=0,
        last_increase_s=None,
        **_battery(ctx, dev),
        **_emptied(d),
    ), []


@_effect
def explant(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    d = ctx.data
    return replace(d, eri_at_s=None, eos_at_s=None, battery_eri_active=False, **_emptied(d)), []


@_effect
def reservoir_low(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    return replace(ctx.data, low_reservoir_active=True), []


@_effect
def reservoir_empty(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    return replace(ctx.data, empty_active=True), []


@_effect
def refill_due_passed(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    return replace(ctx.data, refill_overdue_active=True), []


@_effect
def battery_eri_reached(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    return replace(ctx.data, battery_eri_active=True), []


@_effect
def service_ended(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    return replace(ctx.data, eos_at_s=None), []


logging.getLogger("transitions").addHandler(logging.NullHandler())
