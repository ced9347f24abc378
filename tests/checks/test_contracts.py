"""The dose contracts are confirmed over all paths; their broken twins are refuted."""

from __future__ import annotations

import pytest

from pumpsafety.checks.contracts import CONTRACTS
from pumpsafety.checks.proof_crosshair import analyse
from tests.checks.broken_twins import dose_twins

pytestmark = pytest.mark.crosshair


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_dose_contract_is_confirmed_over_all_paths(name):
    verdict = analyse(CONTRACTS[name].function, 30.0)
    assert (verdict.verdict, verdict.message) == ("proved", "confirmed over all paths")


@pytest.mark.parametrize(
    "twin",
    [
        dose_twins.bolus_volume_off_by_one,
        dose_twins.rate_rounded_up,
        dose_twins.window_headroom_ignores_committed_basal,
        dose_twins.residual_rounded_down,
        dose_twins.titration_off_by_one,
    ],
    ids=lambda f: f.__name__,
)
def test_broken_twin_is_refuted_with_a_counterexample(twin):
    verdict = analyse(twin, 30.0)
    assert verdict.verdict == "refuted"
    assert twin.__name__ in verdict.message  # the concrete call that breaks it


def test_every_contract_names_a_known_requirement(spec):
    for contract in CONTRACTS.values():
        assert set(contract.requirements) <= set(spec.requirements)


def test_every_contract_is_listed_on_the_proofs_page_with_its_requirements():
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "explanation" / "proofs.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line for line in page.splitlines() if "| `" in line}
    for name, contract in CONTRACTS.items():
        row = next((line for key, line in rows.items() if name in key.split("`, `")), None)
        assert row is not None, f"{name} is missing from docs/explanation/proofs.md"
        for req in contract.requirements:
            assert req in row, f"{name}: {req} missing from its row"
