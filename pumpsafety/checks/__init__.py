"""Verification: Hypothesis strategies and stateful checks, the oracle, the conformance
harness, and CrossHair obligations. Importing this package loads Hypothesis."""
