#!/usr/bin/env bash
# Install rewardkit with every test dependency and run the whole test suite.
# torch is pinned first: its CPU build lies on the machines' disk; an unpinned torch
# (pulled in by trl or verl) would download a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q "torch==2.13.0"
python -m pip install -q -e ".[dev,trl,verl,docs]"
set +e
python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi
exit "$rc"
