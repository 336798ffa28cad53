"""Session checks: a skip for missing data always fails the run; under CI (``CI`` set) a
skip for a missing binary or module fails it too.

Tests that skip because something is absent say so with a reason starting with
``missing data:`` or ``missing binary:`` (``pytest.importorskip`` says "could not import").
Every test must run from a clone (the data lives in ``tests/data``) and CI installs every
dependency and binary (``scripts/test.sh``, ``.ci/run``), so such a skip means a test did
not run.
"""

from __future__ import annotations

import os

import pytest

_ALWAYS = ("missing data",)
_IN_CI = ("missing binary", "could not import")
_bad: list[str] = []


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not report.skipped:
        return
    reason = _reason(report).removeprefix("Skipped: ").strip()
    kinds = _ALWAYS + (_IN_CI if os.environ.get("CI") else ())
    if any(reason.lower().startswith(k) for k in kinds):
        _bad.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _bad and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    if _bad:
        terminalreporter.section("tests that did not run (missing data / binary / module)", red=True)
        for line in _bad:
            terminalreporter.line(line)
        terminalreporter.line("these skips fail the run: ship the data in tests/data, install the binary or module in .ci/run")
