#!/usr/bin/env bash
# Install rewardkit with every test dependency (core, reference libraries, TRL and the
# part of veRL its reward managers need) and run the whole test suite.
#
# torch is pinned first: its CPU build lies on the machines' disk; an unpinned torch
# (pulled in by trl or verl) would download a multi-GB CUDA build. veRL is installed
# without its dependencies (wandb, vllm, peft, ... are not needed to run its reward
# managers); the packages its reward path imports are listed instead.
set -euo pipefail
cd "$(dirname "$0")/.."
pip_install() { python -m pip install -q --disable-pip-version-check "$@"; }
pip_install "torch==2.13.0"
pip_install -e ".[dev,docs,trl]" pandas "pyarrow>=19" "ray[data]" "tensordict>=0.8,<=0.10,!=0.9.0" \
    omegaconf hydra-core codetiming pylatexenc aiohttp
pip_install --no-deps "verl==0.9.1"
set +e
python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi
exit "$rc"
