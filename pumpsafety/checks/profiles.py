"""Hypothesis settings profiles shared by the test suite and ``pumpsafety verify``."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

PROFILES = ("dev", "ci", "thorough")


def register_profiles() -> None:
    """Register ``dev``, ``ci`` (derandomised, a few minutes on 2 cores) and ``thorough``."""
    settings.register_profile(
        "dev",
        max_examples=50,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile(
        "ci",
        settings.get_profile("ci"),
        max_examples=200,
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile(
        "thorough",
        max_examples=2_000,
        stateful_step_count=100,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
