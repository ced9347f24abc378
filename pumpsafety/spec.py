"""The declarative specification: lifecycle, drug library, device models, safety requirements."""

from __future__ import annotations

import hashlib
import tomllib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from pumpsafety.errors import SpecError

__all__ = [
    "DAY_S",
    "DeviceSpec",
    "DrugSpec",
    "Requirement",
    "ResumeRule",
    "Sourced",
    "Spec",
    "StateSpec",
    "TransitionSpec",
    "default_spec_dir",
    "derived",
    "load_spec",
]

DAY_S = 86_400
SPEC_FILES = ("lifecycle.toml", "drugs.toml", "devices.toml", "requirements.toml")
CONFIDENCES = ("S", "S2", "U")
PHASES = ("screening", "trial", "implant", "refill", "delivery", "alarm", "end_of_life")
DEVICE_KINDS = ("programmable_peristaltic", "programmable_valve", "constant_flow", "external")
MRI_POLICIES = ("motor_stops", "empty_before_scan", "unaffected", "remove")
SPASTICITY_ORIGINS = ("spinal", "cerebral", "pediatric")
RESUME = "resume"
SAME = "="

Confidence = Literal["S", "S2", "U"]


@dataclass(frozen=True, slots=True)
class Sourced:
    """A number from the spec together with where it comes from and how sure we are."""

    value: int
    source: str
    confidence: str

    @property
    def unverified(self) -> bool:
        return self.confidence == "U"

    def describe(self) -> str:
        tag = " [U: unverified, configurable default]" if self.unverified else ""
        return f"{self.value:_} ({self.source}; {self.confidence}){tag}"


@dataclass(frozen=True, slots=True)
class StateSpec:
    name: str
    phase: str
    kind: str
    description: str
    delivers: bool = False
    severity: str | None = None

    @property
    def terminal(self) -> bool:
        return self.kind == "terminal"

    @property
    def alarm(self) -> bool:
        return self.kind == "alarm"


@dataclass(frozen=True, slots=True)
class TransitionSpec:
    trigger: str
    source: tuple[str, ...]
    dest: str
    guards: tuple[str, ...] = ()
    when: tuple[str, ...] = ()
    kind: str = "external"
    requirements: tuple[str, ...] = ()
    index: int = 0

    @property
    def clock(self) -> bool:
        return self.kind == "clock"


@dataclass(frozen=True, slots=True)
class ResumeRule:
    state: str
    when: str | None = None


@dataclass(frozen=True, slots=True)
class TitrationSpec:
    min_increase_interval_s: Sourced
    max_first_daily_dose_ng: Sourced | None = None
    max_increase_ng: Sourced | None = None
    max_increase_percent: Mapping[str, Sourced] = field(default_factory=dict)
    first_dose_multiplier_of_effective_trial_bolus: Sourced | None = None
    max_decrease_percent_without_confirmation: Sourced | None = None


@dataclass(frozen=True, slots=True)
class TrialSpec:
    bolus_doses_ng: tuple[int, ...]  # empty: no fixed sequence, the window rule alone applies
    bolus_doses_source: Sourced | None
    min_bolus_interval_s: Sourced | None
    observation_s: Sourced


@dataclass(frozen=True, slots=True)
class StabilitySpec:
    refill_max_s: Sourced | None = None
    first_refill_max_s: Sourced | None = None
    refill_max_s_diluted: Sourced | None = None
    refill_max_s_undiluted: Sourced | None = None
    undiluted_concentration_ng_per_ml: Sourced | None = None

    def refill_interval_s(self, *, first_fill: bool, concentration_ng_per_ml: int) -> int:
        """Longest time a fill may stay in the pump (SR-RES-06)."""
        if first_fill and self.first_refill_max_s is not None:
            return self.first_refill_max_s.value
        undiluted = self.undiluted_concentration_ng_per_ml
        if undiluted is not None and self.refill_max_s_undiluted is not None:
            if concentration_ng_per_ml == undiluted.value:
                return self.refill_max_s_undiluted.value
            if self.refill_max_s_diluted is not None:
                return self.refill_max_s_diluted.value
        assert self.refill_max_s is not None, "validated by load_spec"
        return self.refill_max_s.value


@dataclass(frozen=True, slots=True)
class DrugSpec:
    id: str
    name: str
    drug_class: str
    abrupt_stop_hazard: bool
    notes: str
    supplied_concentrations_ng_per_ml: tuple[int, ...]
    max_concentration_ng_per_ml: Sourced
    max_daily_dose_ng: Sourced
    soft_min_daily_dose_ng: Sourced
    soft_max_daily_dose_ng: Sourced
    soft_max_concentration_ng_per_ml: Sourced | None
    stability: StabilitySpec
    titration: TitrationSpec | None = None
    trial: TrialSpec | None = None


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    id: str
    name: str
    kind: str
    implanted: bool
    has_battery: bool
    patient_bolus: bool
    mri_policy: str
    notes: str
    reservoir_capacity_nl: Sourced
    low_reservoir_alarm_nl: Sourced
    empty_threshold_nl: Sourced
    pump_tubing_volume_nl: Sourced
    accuracy_margin_permille: Sourced
    refill_discrepancy_tolerance_nl: Sourced
    min_rate_nl_per_day: Sourced | None = None
    max_rate_nl_per_day: Sourced | None = None
    fixed_rate_nl_per_day: Sourced | None = None
    eri_to_eos_s: Sourced | None = None
    service_life_s: Sourced | None = None
    max_patient_boluses_per_day: Sourced | None = None
    min_lockout_s: Sourced | None = None
    max_lockout_s: Sourced | None = None

    @property
    def programmable(self) -> bool:
        return self.fixed_rate_nl_per_day is None


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    title: str
    text: str
    hazard: str
    hazard_class: str
    source: str
    confidence: str


@dataclass(frozen=True, slots=True)
class Spec:
    """A validated specification. Build it with :func:`load_spec`."""

    path: str
    digest: str
    initial: str
    min_trial_improvement_percent: Sourced
    states: Mapping[str, StateSpec]
    transitions: tuple[TransitionSpec, ...]
    resume: tuple[ResumeRule, ...]
    drugs: Mapping[str, DrugSpec]
    devices: Mapping[str, DeviceSpec]
    requirements: Mapping[str, Requirement]

    @property
    def triggers(self) -> tuple[str, ...]:
        return derived(self, "triggers", lambda s: _trigger_names(s, clock=None))

    @property
    def external_triggers(self) -> tuple[str, ...]:
        return derived(self, "external_triggers", lambda s: _trigger_names(s, clock=False))

    @property
    def clock_triggers(self) -> tuple[str, ...]:
        return derived(self, "clock_triggers", lambda s: _trigger_names(s, clock=True))

    def expanded(self) -> Iterator[tuple[TransitionSpec, str, str, tuple[str, ...]]]:
        """Yield (transition, source, dest, when) with "resume" and "=" resolved, in spec order."""
        for t in self.transitions:
            for src in t.source:
                if t.dest == RESUME:
                    earlier: list[str] = []
                    for rule in self.resume:
                        when = (*t.when, *(f"not:{w}" for w in earlier))
                        if rule.when is not None:
                            yield t, src, rule.state, (*when, rule.when)
                            earlier.append(rule.when)
                        else:
                            yield t, src, rule.state, when
                else:
                    yield t, src, src if t.dest == SAME else t.dest, t.when


def _trigger_names(spec: Spec, *, clock: bool | None) -> tuple[str, ...]:
    """Sorted trigger names of *spec*: all of them, or only the clock (or external) ones."""
    return tuple(sorted({t.trigger for t in spec.transitions if clock in (None, t.clock)}))


def default_spec_dir() -> Path:
    """The spec shipped with the library."""
    return Path(str(resources.files("pumpsafety") / "spec"))


_T = TypeVar("_T")
_DERIVED: OrderedDict[tuple[str, int], tuple[Spec, object]] = OrderedDict()
_DERIVED_KEEP = 64  # values kept for the most recently used (spec, kind) pairs


def derived(spec: Spec, kind: str, build: Callable[[Spec], _T]) -> _T:
    """``build(spec)``, computed once per spec object and *kind* (a name for what is built).

    A spec never changes once loaded, so what is derived from it (the `transitions` machine,
    tables of the proof invariants) can be shared. A ``Spec`` holds mappings and is not
    hashable, so values are kept by identity, for the most recently used specs.
    """
    key = (kind, id(spec))
    hit = _DERIVED.get(key)
    if hit is not None and hit[0] is spec:
        _DERIVED.move_to_end(key)
        return cast(_T, hit[1])
    value = build(spec)
    _DERIVED[key] = (spec, value)
    while len(_DERIVED) > _DERIVED_KEEP:
        _DERIVED.popitem(last=False)
    return value


# ---------------------------------------------------------------------------------------------
# loading and validation


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: str, key: str, value: object, expected: str) -> None:
        self.items.append(f"{file}: {key}={value!r}: {expected}")

    def note(self, text: str) -> None:
        self.items.append(text)


class _Reader:
    """Typed access to one TOML table that records every problem instead of stopping."""

    def __init__(self, problems: _Problems, file: str, data: Mapping[str, Any], key: str) -> None:
        self.p, self.file, self.data, self.key = problems, file, data, key
        self.seen: set[str] = set()

    def done(self) -> None:
        """Report keys nobody read: a misspelt optional key must not silently drop a limit."""
        for name in sorted(set(self.data) - self.seen):
            known = ", ".join(sorted(self.seen)) or "none"
            self.p.add(
                self.file,
                f"{self.key}.{name}".lstrip("."),
                self.data[name],
                f"unknown key (misspelt?); read here: {known}",
            )

    def info(self, name: str = "info") -> None:
        """An optional table of informational sourced values, kept for the record."""
        table = self.sub(name, required=False)
        if table is None:
            return
        for key in table.data:
            if isinstance(table.data[key], dict) and "value" in table.data[key]:
                holder = _Reader(
                    self.p, self.file, {key: {**table.data[key], "value": 0}}, table.key
                )
                holder.sourced(key)
            elif not isinstance(table.data[key], str | bool):
                self.p.add(
                    self.file,
                    f"{table.key}.{key}",
                    table.data[key],
                    "info entries are sourced values, text or true/false",
                )

    def sub(self, name: str, *, required: bool = True) -> _Reader | None:
        self.seen.add(name)
        value = self.data.get(name)
        if value is None:
            if required:
                self.p.add(self.file, f"{self.key}.{name}", None, "missing table")
            return None
        if not isinstance(value, dict):
            self.p.add(self.file, f"{self.key}.{name}", value, "must be a table")
            return None
        return _Reader(self.p, self.file, value, f"{self.key}.{name}")

    def text(self, name: str, *, choices: tuple[str, ...] = (), default: str | None = None) -> str:
        self.seen.add(name)
        value = self.data.get(name, default)
        if not isinstance(value, str) or not value:
            self.p.add(self.file, f"{self.key}.{name}", value, "must be a non-empty string")
            return ""
        if choices and value not in choices:
            self.p.add(self.file, f"{self.key}.{name}", value, f"must be one of {choices}")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        self.seen.add(name)
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            self.p.add(self.file, f"{self.key}.{name}", value, "must be true or false")
            return default
        return value

    def names(self, name: str) -> tuple[str, ...]:
        self.seen.add(name)
        value = self.data.get(name, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.p.add(self.file, f"{self.key}.{name}", value, "must be a list of names")
            return ()
        return tuple(value)

    def sourced(
        self,
        name: str,
        *,
        min_value: int = 0,
        max_value: int | None = None,
        required: bool = True,
    ) -> Sourced | None:
        self.seen.add(name)
        raw = self.data.get(name)
        key = f"{self.key}.{name}"
        if raw is None:
            if required:
                self.p.add(
                    self.file, key, None, "missing sourced value {value, source, confidence}"
                )
            return None
        if not isinstance(raw, dict):
            self.p.add(
                self.file, key, raw, "must be {value = <int>, source = ..., confidence = ...}"
            )
            return None
        value, source, conf = raw.get("value"), raw.get("source"), raw.get("confidence")
        ok = True
        if not _is_int(value):
            self.p.add(self.file, f"{key}.value", value, _int_hint(value))
            ok = False
        elif not isinstance(value, int):  # pragma: no cover - narrowed by _is_int above
            ok = False
        elif value < min_value or (max_value is not None and value > max_value):
            upper = "" if max_value is None else f"{max_value:_}"
            self.p.add(self.file, f"{key}.value", value, f"allowed range {min_value:_}..{upper}")
            ok = False
        if not isinstance(source, str) or not source.strip():
            self.p.add(self.file, f"{key}.source", source, "every number must name its source")
            ok = False
        if conf not in CONFIDENCES:
            self.p.add(self.file, f"{key}.confidence", conf, f"must be one of {CONFIDENCES}")
            ok = False
        if not ok:
            return None
        assert isinstance(value, int) and isinstance(source, str) and isinstance(conf, str)
        return Sourced(value, source, conf)

    def sourced_list(self, name: str) -> tuple[tuple[int, ...], Sourced | None]:
        self.seen.add(name)
        raw = self.data.get(name)
        key = f"{self.key}.{name}"
        if not isinstance(raw, dict) or not isinstance(raw.get("value"), list):
            self.p.add(self.file, key, raw, "must be {value = [<int>, ...], source, confidence}")
            return (), None
        values = raw["value"]
        if not values or not all(_is_int(v) and v > 0 for v in values):
            self.p.add(
                self.file, f"{key}.value", values, "must be a non-empty list of positive ints"
            )
            return (), None
        holder = _Reader(self.p, self.file, {name: {**raw, "value": 1}}, self.key)
        src = holder.sourced(name)
        return tuple(values), src


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_hint(value: object) -> str:
    if isinstance(value, float):
        return "must be an exact integer in the unit named by the key (floats are not accepted)"
    return "must be an integer in the unit named by the key"


def load_spec(path: str | Path | None = None) -> Spec:
    """Load and validate the spec directory at *path* (default: the shipped spec).

    Raises:
        SpecError: listing every problem found, each with file, key path, value and expectation.
    """
    root = Path(path) if path is not None else default_spec_dir()
    problems = _Problems()
    raw: dict[str, dict[str, Any]] = {}
    digest = hashlib.sha256()
    if not root.is_dir():
        raise SpecError([f"{root}: not a directory containing {', '.join(SPEC_FILES)}"])
    for name in SPEC_FILES:
        file = root / name
        try:
            blob = file.read_bytes()
        except OSError as err:
            problems.note(f"{file}: cannot be read ({err.strerror})")
            raw[name] = {}
            continue
        digest.update(name.encode() + b"\0" + blob + b"\0")
        try:
            raw[name] = tomllib.loads(blob.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            problems.note(f"{file}: not valid TOML: {err}")
            raw[name] = {}

    def rel(name: str) -> str:
        return str(root / name)

    requirements = _load_requirements(problems, rel("requirements.toml"), raw["requirements.toml"])
    drugs = _load_drugs(problems, rel("drugs.toml"), raw["drugs.toml"])
    devices = _load_devices(problems, rel("devices.toml"), raw["devices.toml"])
    life = _load_lifecycle(problems, rel("lifecycle.toml"), raw["lifecycle.toml"], requirements)
    if problems.items:
        raise SpecError(problems.items)
    states, transitions, resume, initial, improvement = life
    assert improvement is not None
    spec = Spec(
        path=str(root),
        digest=digest.hexdigest(),
        initial=initial,
        min_trial_improvement_percent=improvement,
        states=states,
        transitions=transitions,
        resume=resume,
        drugs=drugs,
        devices=devices,
        requirements=requirements,
    )
    _check_structure(problems, rel("lifecycle.toml"), spec)
    if problems.items:
        raise SpecError(problems.items)
    return spec


def _load_requirements(p: _Problems, file: str, data: Mapping[str, Any]) -> dict[str, Requirement]:
    out: dict[str, Requirement] = {}
    items = data.get("requirements")
    if not isinstance(items, list) or not items:
        p.add(file, "requirements", items, "must be a non-empty array of tables")
        return out
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            p.add(file, f"requirements[{i}]", item, "must be a table")
            continue
        r = _Reader(p, file, item, f"requirements[{i}]")
        req = Requirement(
            id=r.text("id"),
            title=r.text("title"),
            text=r.text("text"),
            hazard=r.text("hazard"),
            hazard_class=r.text("hazard_class"),
            source=r.text("source"),
            confidence=r.text("confidence", choices=CONFIDENCES),
        )
        r.done()
        if req.id in out:
            p.add(file, f"requirements[{i}].id", req.id, "duplicate requirement id")
        out[req.id] = req
    return out


def _load_drugs(p: _Problems, file: str, data: Mapping[str, Any]) -> dict[str, DrugSpec]:
    out: dict[str, DrugSpec] = {}
    table = data.get("drugs")
    if not isinstance(table, dict) or not table:
        p.add(file, "drugs", table, "must be a non-empty table of drugs")
        return out
    for drug_id, body in table.items():
        if not isinstance(body, dict):
            p.add(file, f"drugs.{drug_id}", body, "must be a table")
            continue
        r = _Reader(p, file, body, f"drugs.{drug_id}")
        supplied, _ = r.sourced_list("supplied_concentrations_ng_per_ml")
        hard, soft = r.sub("hard"), r.sub("soft")
        max_conc = hard.sourced("max_concentration_ng_per_ml", min_value=1) if hard else None
        max_daily = hard.sourced("max_daily_dose_ng", min_value=1) if hard else None
        soft_min = soft.sourced("min_daily_dose_ng") if soft else None
        soft_max = soft.sourced("max_daily_dose_ng", min_value=1) if soft else None
        soft_conc = (
            soft.sourced("max_concentration_ng_per_ml", min_value=1, required=False)
            if soft
            else None
        )
        where = f"drugs.{drug_id}"
        if max_daily and soft_max and soft_max.value > max_daily.value:
            p.add(
                file,
                f"{where}.soft.max_daily_dose_ng.value",
                soft_max.value,
                f"must be <= hard.max_daily_dose_ng ({max_daily.value:_})",
            )
        if soft_min and soft_max and soft_min.value > soft_max.value:
            p.add(
                file,
                f"{where}.soft.min_daily_dose_ng.value",
                soft_min.value,
                f"must be <= soft.max_daily_dose_ng ({soft_max.value:_})",
            )
        if max_conc and soft_conc and soft_conc.value > max_conc.value:
            p.add(
                file,
                f"{where}.soft.max_concentration_ng_per_ml.value",
                soft_conc.value,
                f"must be <= hard.max_concentration_ng_per_ml ({max_conc.value:_})",
            )
        if max_conc:
            for c in supplied:
                if c > max_conc.value:
                    p.add(
                        file,
                        f"{where}.supplied_concentrations_ng_per_ml",
                        c,
                        f"above hard.max_concentration_ng_per_ml ({max_conc.value:_})",
                    )
        stability = _load_stability(r.sub("stability"))
        titration = _load_titration(r.sub("titration", required=False))
        trial = _load_trial(r.sub("trial", required=False))
        if None in (max_conc, max_daily, soft_min, soft_max) or stability is None:
            continue
        assert max_conc and max_daily and soft_min and soft_max
        out[drug_id] = DrugSpec(
            id=drug_id,
            name=r.text("name"),
            drug_class=r.text("drug_class"),
            abrupt_stop_hazard=r.flag("abrupt_stop_hazard"),
            notes=r.text("notes"),
            supplied_concentrations_ng_per_ml=supplied,
            max_concentration_ng_per_ml=max_conc,
            max_daily_dose_ng=max_daily,
            soft_min_daily_dose_ng=soft_min,
            soft_max_daily_dose_ng=soft_max,
            soft_max_concentration_ng_per_ml=soft_conc,
            stability=stability,
            titration=titration,
            trial=trial,
        )
        r.info()
        for reader in (r, hard, soft):
            if reader is not None:
                reader.done()
    return out


def _load_stability(r: _Reader | None) -> StabilitySpec | None:
    if r is None:
        return None
    s = StabilitySpec(
        refill_max_s=r.sourced("refill_max_s", min_value=1, required=False),
        first_refill_max_s=r.sourced("first_refill_max_s", min_value=1, required=False),
        refill_max_s_diluted=r.sourced("refill_max_s_diluted", min_value=1, required=False),
        refill_max_s_undiluted=r.sourced("refill_max_s_undiluted", min_value=1, required=False),
        undiluted_concentration_ng_per_ml=r.sourced(
            "undiluted_concentration_ng_per_ml", min_value=1, required=False
        ),
    )
    r.info()
    r.done()
    split = s.refill_max_s_diluted is not None and s.refill_max_s_undiluted is not None
    if s.refill_max_s is None and not split:
        r.p.add(
            r.file,
            f"{r.key}.refill_max_s",
            None,
            "needs refill_max_s, or refill_max_s_diluted + refill_max_s_undiluted",
        )
        return None
    if s.refill_max_s is None and s.undiluted_concentration_ng_per_ml is None:
        r.p.add(
            r.file,
            f"{r.key}.undiluted_concentration_ng_per_ml",
            None,
            "required with the diluted/undiluted refill limits",
        )
        return None
    return s


def _load_titration(r: _Reader | None) -> TitrationSpec | None:
    if r is None:
        return None
    interval = r.sourced("min_increase_interval_s", min_value=1)
    percent: dict[str, Sourced] = {}
    pct = r.sub("max_increase_percent", required=False)
    if pct is not None:
        for origin in pct.data:
            pct.seen.add(origin)
            if origin not in SPASTICITY_ORIGINS:
                r.p.add(
                    r.file, f"{pct.key}.{origin}", origin, f"must be one of {SPASTICITY_ORIGINS}"
                )
                continue
            v = pct.sourced(origin, min_value=1, max_value=100)
            if v is not None:
                percent[origin] = v
    if interval is None:
        return None
    titration = TitrationSpec(
        min_increase_interval_s=interval,
        max_first_daily_dose_ng=r.sourced("max_first_daily_dose_ng", min_value=1, required=False),
        max_increase_ng=r.sourced("max_increase_ng", min_value=1, required=False),
        max_increase_percent=percent,
        first_dose_multiplier_of_effective_trial_bolus=r.sourced(
            "first_dose_multiplier_of_effective_trial_bolus", min_value=1, required=False
        ),
        max_decrease_percent_without_confirmation=r.sourced(
            "max_decrease_percent_without_confirmation", min_value=0, max_value=100, required=False
        ),
    )
    r.info()
    r.done()
    if pct is not None:
        pct.done()
    return titration


def _load_trial(r: _Reader | None) -> TrialSpec | None:
    if r is None:
        return None
    doses: tuple[int, ...] = ()
    src = None
    if "bolus_doses_ng" in r.data:
        doses, src = r.sourced_list("bolus_doses_ng")
    observation = r.sourced("observation_s", min_value=0)
    interval = r.sourced("min_bolus_interval_s", min_value=0, required=False)
    if observation is None:
        return None
    r.info()
    r.done()
    if list(doses) != sorted(doses):
        r.p.add(r.file, f"{r.key}.bolus_doses_ng.value", list(doses), "must be in increasing order")
    return TrialSpec(doses, src, interval, observation)


def _load_devices(p: _Problems, file: str, data: Mapping[str, Any]) -> dict[str, DeviceSpec]:
    out: dict[str, DeviceSpec] = {}
    table = data.get("devices")
    if not isinstance(table, dict) or not table:
        p.add(file, "devices", table, "must be a non-empty table of devices")
        return out
    for dev_id, body in table.items():
        if not isinstance(body, dict):
            p.add(file, f"devices.{dev_id}", body, "must be a table")
            continue
        r = _Reader(p, file, body, f"devices.{dev_id}")
        kind = r.text("kind", choices=DEVICE_KINDS)
        has_battery = r.flag("has_battery")
        patient_bolus = r.flag("patient_bolus")
        capacity = r.sourced("reservoir_capacity_nl", min_value=1)
        cap = capacity.value if capacity else None
        low = r.sourced("low_reservoir_alarm_nl", max_value=cap)
        empty = r.sourced("empty_threshold_nl", max_value=cap)
        tubing = r.sourced("pump_tubing_volume_nl", max_value=cap)
        margin = r.sourced("accuracy_margin_permille", max_value=999)
        tol = r.sourced("refill_discrepancy_tolerance_nl", min_value=1, max_value=cap)
        fixed = r.sourced("fixed_rate_nl_per_day", min_value=1, required=kind == "constant_flow")
        min_rate = r.sourced("min_rate_nl_per_day", required=kind != "constant_flow")
        max_rate = r.sourced("max_rate_nl_per_day", min_value=1, required=kind != "constant_flow")
        eri = r.sourced("eri_to_eos_s", min_value=1, required=has_battery)
        life = r.sourced("service_life_s", min_value=1, required=has_battery)
        nbol = r.sourced("max_patient_boluses_per_day", min_value=1, required=patient_bolus)
        min_lock = r.sourced("min_lockout_s", min_value=1, required=patient_bolus)
        max_lock = r.sourced("max_lockout_s", min_value=1, required=patient_bolus)
        key = f"devices.{dev_id}"
        if fixed is not None and kind != "constant_flow":
            p.add(file, f"{key}.fixed_rate_nl_per_day", fixed.value, "only for kind constant_flow")
        if min_rate and max_rate and min_rate.value > max_rate.value:
            p.add(
                file,
                f"{key}.min_rate_nl_per_day.value",
                min_rate.value,
                f"must be <= max_rate_nl_per_day ({max_rate.value:_})",
            )
        if min_lock and max_lock and min_lock.value > max_lock.value:
            p.add(
                file,
                f"{key}.min_lockout_s.value",
                min_lock.value,
                f"must be <= max_lockout_s ({max_lock.value:_})",
            )
        if low and empty and empty.value >= low.value:
            p.add(
                file,
                f"{key}.empty_threshold_nl.value",
                empty.value,
                f"must be < low_reservoir_alarm_nl ({low.value:_})",
            )
        if eri and life and eri.value >= life.value:
            p.add(
                file,
                f"{key}.eri_to_eos_s.value",
                eri.value,
                f"must be < service_life_s ({life.value:_})",
            )
        if None in (capacity, low, empty, tubing, margin, tol):
            continue
        assert capacity and low and empty and tubing and margin and tol
        out[dev_id] = DeviceSpec(
            id=dev_id,
            name=r.text("name"),
            kind=kind,
            implanted=r.flag("implanted"),
            has_battery=has_battery,
            patient_bolus=patient_bolus,
            mri_policy=r.text("mri_policy", choices=MRI_POLICIES),
            notes=r.text("notes"),
            reservoir_capacity_nl=capacity,
            low_reservoir_alarm_nl=low,
            empty_threshold_nl=empty,
            pump_tubing_volume_nl=tubing,
            accuracy_margin_permille=margin,
            refill_discrepancy_tolerance_nl=tol,
            min_rate_nl_per_day=min_rate,
            max_rate_nl_per_day=max_rate,
            fixed_rate_nl_per_day=fixed,
            eri_to_eos_s=eri,
            service_life_s=life,
            max_patient_boluses_per_day=nbol,
            min_lockout_s=min_lock,
            max_lockout_s=max_lock,
        )
        r.info()
        r.done()
    return out


_Lifecycle = tuple[
    dict[str, StateSpec], tuple[TransitionSpec, ...], tuple[ResumeRule, ...], str, Sourced | None
]


def _load_lifecycle(
    p: _Problems, file: str, data: Mapping[str, Any], requirements: Mapping[str, Requirement]
) -> _Lifecycle:
    top = _Reader(p, file, data, "")
    life = top.sub("lifecycle")
    initial = life.text("initial") if life else ""
    improvement = (
        life.sourced("min_trial_improvement_percent", min_value=1, max_value=100) if life else None
    )
    if life is not None:
        life.done()
    top.seen.update(("states", "resume", "transitions"))
    top.done()
    states: dict[str, StateSpec] = {}
    raw_states = data.get("states")
    if not isinstance(raw_states, dict) or not raw_states:
        p.add(file, "states", raw_states, "must be a non-empty table of states")
        raw_states = {}
    for name, body in raw_states.items():
        if not isinstance(body, dict):
            p.add(file, f"states.{name}", body, "must be a table")
            continue
        r = _Reader(p, file, body, f"states.{name}")
        kind = r.text("kind", choices=("normal", "alarm", "terminal"))
        r.seen.add("severity")
        severity = body.get("severity")
        if kind == "alarm" and severity not in ("critical", "non_critical"):
            p.add(
                file,
                f"states.{name}.severity",
                severity,
                "alarms need 'critical' or 'non_critical'",
            )
        states[name] = StateSpec(
            name=name,
            phase=r.text("phase", choices=PHASES),
            kind=kind,
            description=r.text("description"),
            delivers=r.flag("delivers"),
            severity=severity if isinstance(severity, str) else None,
        )
        r.done()
    resume: list[ResumeRule] = []
    for i, item in enumerate(data.get("resume", [])):
        r = _Reader(p, file, item if isinstance(item, dict) else {}, f"resume[{i}]")
        r.seen.add("when")
        when = item.get("when") if isinstance(item, dict) else None
        resume.append(ResumeRule(r.text("state"), when if isinstance(when, str) else None))
        r.done()
    transitions: list[TransitionSpec] = []
    raw_tr = data.get("transitions")
    if not isinstance(raw_tr, list) or not raw_tr:
        p.add(file, "transitions", raw_tr, "must be a non-empty array of tables")
        raw_tr = []
    for i, item in enumerate(raw_tr):
        if not isinstance(item, dict):
            p.add(file, f"transitions[{i}]", item, "must be a table")
            continue
        r = _Reader(p, file, item, f"transitions[{i}]")
        t = TransitionSpec(
            trigger=r.text("trigger"),
            source=r.names("source"),
            dest=r.text("dest"),
            guards=r.names("guards"),
            when=r.names("when"),
            kind=r.text("kind", choices=("external", "clock"), default="external"),
            requirements=r.names("requirements"),
            index=i,
        )
        r.done()
        for req in t.requirements:
            if requirements and req not in requirements:
                p.add(
                    file,
                    f"transitions[{i}].requirements",
                    req,
                    "is not a requirement id declared in requirements.toml",
                )
        transitions.append(t)
    return states, tuple(transitions), tuple(resume), initial, improvement


def _check_structure(p: _Problems, file: str, spec: Spec) -> None:
    """Structural checks on the lifecycle graph (all problems collected)."""
    from pumpsafety.guards import GUARDS

    declared = sorted(spec.states)
    if spec.initial not in spec.states:
        p.add(
            file, "lifecycle.initial", spec.initial, f"not a declared state; declared: {declared}"
        )
    for i, rule in enumerate(spec.resume):
        if rule.state not in spec.states:
            p.add(
                file,
                f"resume[{i}].state",
                rule.state,
                f"not a declared state; declared: {declared}",
            )
        if rule.when is not None and rule.when not in GUARDS:
            p.add(file, f"resume[{i}].when", rule.when, "unknown guard name")
    if spec.resume and spec.resume[-1].when is not None:
        p.add(
            file,
            f"resume[{len(spec.resume) - 1}].when",
            spec.resume[-1].when,
            "the last resume entry must have no condition (the fallback)",
        )
    for t in spec.transitions:
        key = f"transitions[{t.index}]"
        for s in t.source:
            if s not in spec.states:
                p.add(file, f"{key}.source", s, f"not a declared state; declared: {declared}")
            elif spec.states[s].terminal:
                p.add(file, f"{key}.source", s, "terminal states have no way out")
        if t.dest == RESUME and not spec.resume:
            p.add(file, f"{key}.dest", t.dest, "needs [[resume]] entries")
        elif t.dest not in (RESUME, SAME) and t.dest not in spec.states:
            p.add(file, f"{key}.dest", t.dest, f"not a declared state; declared: {declared}")
        for g in (*t.guards, *t.when):
            if g not in GUARDS:
                p.add(file, f"{key}.guards", g, f"unknown guard name; known: {sorted(GUARDS)}")
        if t.clock and t.guards:
            p.add(file, f"{key}.guards", list(t.guards), "clock events cannot be refused")
    # a transition after an unconditional one with the same trigger and source never fires
    seen: dict[tuple[str, str], int] = {}
    for t in spec.transitions:
        for s in t.source:
            if (t.trigger, s) in seen:
                p.add(
                    file,
                    f"transitions[{t.index}]",
                    f"{t.trigger}@{s}",
                    f"can never fire: transitions[{seen[(t.trigger, s)]}] has the same trigger "
                    "and source and no 'when' condition",
                )
            elif not t.when:
                seen[(t.trigger, s)] = t.index
    if p.items:
        return
    # reachability and ways out
    edges: dict[str, set[str]] = {s: set() for s in spec.states}
    for _, src, dest, _ in spec.expanded():
        edges[src].add(dest)
    reached = {spec.initial}
    todo = [spec.initial]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    for name, st in spec.states.items():
        if name not in reached:
            p.add(file, f"states.{name}", name, "unreachable from the initial state")
        out = edges[name] - {name}
        if not st.terminal and not out:
            p.add(file, f"states.{name}", name, "non-terminal state with no way out")
