#!/usr/bin/env bash
# Start → listening of `python3 -m http.server` with cpus 0.05: outside Drover, under Drover (cpu shares, the
# default) and under Drover with a hard CFS quota (label DROVER_CPU_HARD_LIMIT=true). Target: Drover within 2×
# of outside; the hard limit shows the throttling. Needs root and cgroup v1 or v2 for the limits to apply.
# Usage: bench/smallcpus/run.sh [rounds] [hard-rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/smallcpus -- "$@"
