#!/usr/bin/env bash
# Benchmark regression run: the benchmark suite with --benchmark-json, then every
# rewardkit/reference ratio of that run (benchmarks/ratios.py) against the committed
# baseline (benchmarks/ratios.json). Fails with a table when a ratio is more than 30%
# below its baseline (or a baseline ratio was not measured). Absolute times stay in the
# JSON; nothing asserts on them.
#
#   scripts/bench.sh [quick|full] [--update] [pytest args...]
#
#   quick   default sizes, few rounds (CI; about a minute)
#   full    RK_BENCH_FULL=1: the issues' sizes (5,000-image COCO, 2,000-image segm,
#           1,024 x 1,024 SOD, ...), more rounds; tens of minutes
#   --update  write this run's ratios as the mode's baseline (with the machine and load);
#             for a steadier baseline, run a few times and pass every JSON to
#             `python benchmarks/ratios.py update RUN1.json RUN2.json ... --mode <mode>`
#             (it keeps the lowest value of each ratio)
#
# Timer: CPU time of the process (time.process_time) by default, so that other load on
# the machine does not inflate one side of a ratio; RK_BENCH_TIMER=time.perf_counter for
# wall time. The run's JSON goes to .benchmarks/run-<mode>.json (RK_BENCH_OUT overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-quick}"
[ $# -gt 0 ] && shift
case "$mode" in quick|full) ;; *) echo "usage: scripts/bench.sh [quick|full] [--update] [pytest args]" >&2; exit 2;; esac
command="check"
if [ "${1:-}" = "--update" ]; then command="update"; shift; fi
py="${PYTHON:-python}"
out="${RK_BENCH_OUT:-.benchmarks/run-$mode.json}"
mkdir -p "$(dirname "$out")"
timer="${RK_BENCH_TIMER:-time.process_time}"
if [ "$mode" = "full" ]; then
    export RK_BENCH_FULL=1
    rounds=(--benchmark-min-rounds=5 --benchmark-max-time=1.0)
else
    unset RK_BENCH_FULL
    rounds=(--benchmark-min-rounds=5 --benchmark-max-time=0.05)
fi
start=$(date +%s)
"$py" -m pytest benchmarks -q -p no:cacheprovider --benchmark-only --benchmark-json "$out" \
    --benchmark-timer "$timer" "${rounds[@]}" --benchmark-columns=min,median,rounds \
    --benchmark-group-by=group --benchmark-sort=name "$@"
echo "bench ($mode): benchmarks done after $(( $(date +%s) - start )) s"
"$py" benchmarks/ratios.py "$command" "$out" --mode "$mode"
