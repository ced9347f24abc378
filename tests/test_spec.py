"""Spec loading: the shipped spec, a user's own spec, and deliberately broken spec files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pumpsafety import PumpModel, Spec, SpecError, load_spec

SPECS = Path(__file__).parent / "specs"
MINIMAL = SPECS / "minimal"

# broken spec directory -> fragments that must appear in one reported problem
EXPECTED = {
    "undeclared_dest_state": [
        "lifecycle.toml",
        "transitions[15].dest",
        "'alarm_empty_reservior'",
        "not a declared state",
    ],
    "unreachable_state": ["states.orphan", "unreachable from the initial state"],
    "dead_end_state": ["states.alarm_empty_reservoir", "non-terminal state with no way out"],
    "unknown_guard": ["transitions[12].guards", "'bolus_within_daily_limt'", "unknown guard name"],
    "shadowed_transition": ["transitions[4]", "implant@trial_evaluation", "can never fire"],
    "terminal_state_with_exit": ["transitions[4].source", "'not_a_candidate'", "terminal states"],
    "unknown_requirement": ["transitions[15].requirements", "'SR-DEL-99'", "not a requirement id"],
    "float_daily_limit": [
        "drugs.toml",
        "drugs.ziconotide.hard.max_daily_dose_ng.value",
        "19.2",
        "floats are not accepted",
    ],
    "number_without_source": [
        "drugs.ziconotide.hard.max_concentration_ng_per_ml.source",
        "None",
        "must name its source",
    ],
    "unknown_confidence_tag": ["devices.test_pump.low_reservoir_alarm_nl.confidence", "'probably'"],
    "soft_limit_above_hard": [
        "drugs.ziconotide.soft.max_daily_dose_ng.value",
        "192000",
        "must be <= hard.max_daily_dose_ng (19_200)",
    ],
    "low_alarm_above_capacity": [
        "devices.test_pump.low_reservoir_alarm_nl.value",
        "40000000",
        "allowed range 0..20_000_000",
    ],
    "not_toml": ["requirements.toml", "not valid TOML"],
    "misspelt_optional_key": [
        "drugs.ziconotide.stability.refill_max_sec",
        "unknown key (misspelt?)",
    ],
}


def _overlay(broken: str, tmp_path: Path) -> Path:
    target = tmp_path / broken
    shutil.copytree(MINIMAL, target)
    for f in (SPECS / "broken" / broken).iterdir():
        shutil.copy(f, target / f.name)
    return target


def test_shipped_spec_loads(spec: Spec) -> None:
    assert spec.initial == "screening"
    assert len(spec.requirements) >= 30
    assert set(spec.drugs) >= {
        "baclofen",
        "morphine",
        "hydromorphone",
        "fentanyl",
        "sufentanil",
        "bupivacaine",
        "clonidine",
        "ziconotide",
    }
    assert {d.kind for d in spec.devices.values()} == {
        "programmable_peristaltic",
        "programmable_valve",
        "constant_flow",
        "external",
    }


def test_every_number_in_the_shipped_spec_names_source_and_confidence(spec: Spec) -> None:
    from pumpsafety.spec import Sourced

    seen = 0
    for group in (spec.drugs.values(), spec.devices.values()):
        for item in group:
            for name in item.__dataclass_fields__:
                value = getattr(item, name)
                if isinstance(value, Sourced):
                    seen += 1
                    assert value.source.strip() and value.confidence in ("S", "S2", "U")
    assert seen > 100


def test_unverified_values_say_so_when_printed(spec: Spec) -> None:
    zic = spec.drugs["morphine"].max_daily_dose_ng
    assert zic.unverified
    assert "[U: unverified, configurable default]" in zic.describe()


def test_a_users_own_spec_drives_the_model() -> None:
    spec = load_spec(MINIMAL)
    m = PumpModel(spec)
    assert set(spec.states) == set(m._machine.states)
    m.fire("start_single_shot_trial", drug="ziconotide")
    assert m.state == "trial_single_shot"


@pytest.mark.parametrize("broken", sorted(EXPECTED))
def test_broken_spec_is_reported_with_file_key_value_and_expectation(
    broken: str, tmp_path: Path
) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(_overlay(broken, tmp_path))
    problems = caught.value.problems
    assert any(all(frag in p for frag in EXPECTED[broken]) for p in problems), problems


def test_every_broken_spec_has_an_expectation() -> None:
    assert sorted(p.name for p in (SPECS / "broken").iterdir()) == sorted(EXPECTED)


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    target = _overlay("unknown_guard", tmp_path)
    for extra in ("float_daily_limit", "unknown_confidence_tag"):
        for f in (SPECS / "broken" / extra).iterdir():
            shutil.copy(f, target / f.name)
    with pytest.raises(SpecError) as caught:
        load_spec(target)
    text = str(caught.value)
    assert "19.2" in text and "'probably'" in text
    assert len(caught.value.problems) >= 2


def test_missing_directory_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not a directory"):
        load_spec(tmp_path / "nope")
