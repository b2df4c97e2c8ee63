#!/usr/bin/env bash
# Prints (a) how long after a routing change lbs blocked on GET /v1/drover/lb/state see it (p50/p99, several
# watchers), and (b) what drain before kill adds to a kill when a live lb acknowledges at once (p50/p99).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/lbwatch -- "$@"
