"""Deliberately broken twins of the dose contracts: each must be refuted by CrossHair."""
