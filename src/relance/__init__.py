"""Relance: follow up with every candidate at the right time, and never harass anyone."""

__version__ = "0.1.0"
