#!/usr/bin/env bash
# bench/c1m: 1,000,000 instances on 10,000 simulated agents through the real server (a `drover server` process), its
# store and the agent protocol, from the API calls until every instance is reported TASK_RUNNING.
# With no arguments: the full run, on SQLite at 1,000,000 and on a 3-member etcd at 100,000 (needs `etcd` on PATH).
# With arguments: one run, e.g. ./run.sh --instances 100000 --agents 1000 --apps 1000 --store sqlite
# Options: --instances N, --agents N, --apps N, --store sqlite|etcd, --via apps|groups, --timeout SECONDS.
set -euo pipefail
cd "$(dirname "$0")/../.."
# a connection per simulated agent for its long poll and one for its heartbeat, in the harness and in the server
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
dotnet build -c Release -v q -nologo bench/c1m >/dev/null
run() { dotnet bench/c1m/bin/Release/net10.0/Drover.Bench.C1m.dll "$@"; }
if [ $# -gt 0 ]; then run "$@"; exit; fi
run --instances 1000000 --agents 10000 --apps 10000 --store sqlite
run --instances 100000 --agents 10000 --apps 1000 --store etcd
