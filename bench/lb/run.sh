#!/usr/bin/env bash
# Prints (a) convergence: from a task change the server records (reported running, or a kill asked for) to the
# Drover-managed HAProxy routing accordingly (p50/p99); (b) wrk throughput and latency through that HAProxy vs a
# hand-configured HAProxy to the same nginx backends, same run, and their ratio; (c) failed requests (wrk: non-2xx and
# socket errors; keep-alive and new-connection-per-request clients) during a rolling deployment and a scale-down 4→1.
# Needs haproxy, nginx and wrk on PATH (test.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/lb -- "$@"
