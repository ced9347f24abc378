"""Shared fixtures and the Hypothesis profiles (dev, ci, thorough)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from pumpsafety import Spec, load_spec
from pumpsafety.checks.profiles import register_profiles

register_profiles()
settings.load_profile(os.getenv("HYPOTHESIS_PROFILE", "ci" if os.getenv("CI") else "dev"))


@pytest.fixture(name="spec", scope="session")
def _spec() -> Spec:
    return load_spec()
