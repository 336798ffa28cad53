#!/usr/bin/env bash
# Install rewardkit with every test dependency (core, reference libraries, TRL, the part of
# veRL its reward managers need, OpenRLHF's and ms-swift's reward loaders, the `serve`
# stack) and run the whole test suite.
#
# torch is pinned first: its CPU build lies on the machines' disk; an unpinned torch
# (pulled in by trl or verl) would download a multi-GB CUDA build. veRL is installed
# without its dependencies (wandb, vllm, peft, ... are not needed to run its reward
# managers); the packages its reward path imports are listed instead.
set -euo pipefail
cd "$(dirname "$0")/.."
pip_install() { python -m pip install -q --disable-pip-version-check "$@"; }
# TORCH_INDEX_URL: an index of CPU wheels where the default index serves CUDA builds
pip_install "torch==2.13.0" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
pip_install -e ".[dev,docs,trl,images,plot]" pandas "pyarrow>=19" "ray[data]" "tensordict>=0.8,<=0.10,!=0.9.0" \
    omegaconf hydra-core codetiming pylatexenc aiohttp
pip_install --no-deps "verl==0.9.1"
# OpenRLHF's reward-function loader (openrlhf.utils.agent) needs only torch, transformers
# and aiohttp: no dependencies.
pip_install --no-deps "openrlhf==0.11.2"
# ms-swift (its plugin loader and reward loop) goes to a folder of its own, on sys.path only
# in the subprocess of tests/adapters/test_swift_adapter.py: what its loader imports
# (modelscope, peft<0.21, ...) must not shadow the packages of the other tests. ~13 MB of wheels.
pip_install --no-deps --upgrade --target .test-deps/ms-swift "ms-swift==4.6.0" "modelscope==1.40.2" \
    "modelscope-hub==0.5.1" "peft>=0.11,<0.21" json-repair dacite cryptography cffi pycparser
set +e
python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi
exit "$rc"
