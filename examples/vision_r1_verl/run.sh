#!/usr/bin/env bash
# Vision-R1 (Qwen2.5-VL-7B) with veRL 0.9.1 GRPO and rewardkit's criterion-driven reward.
#
# Needs: 8 GPUs with >= 80 GB (one node), veRL 0.9.1 with its vLLM rollout
# (pip install "verl[vllm]==0.9.1"), rewardkit installed in the same environment (the
# reward workers import pkg://rewardkit.adapters.verl), and the parquet files written by
# prepare_data.py. Extra Hydra overrides are passed through: ./run.sh trainer.nnodes=2
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TRAIN="${TRAIN:-data/vision_r1_train.parquet}"
VAL="${VAL:-data/vision_r1_val.parquet}"
MODEL="${MODEL:-Qwen/Qwen2.5-VL-7B-Instruct}"

python3 -m verl.trainer.main_ppo \
    --config-path "$HERE" --config-name vision_r1 \
    data.train_files="$TRAIN" data.val_files="$VAL" \
    actor_rollout_ref.model.path="$MODEL" \
    "$@"
