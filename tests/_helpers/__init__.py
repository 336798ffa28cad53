"""Test scaffolding (not shipped): synthetic data generators and the path of the test data."""

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
"""``tests/data``: the reference fixtures the parity and CLI tests read (see its README)."""
