#!/usr/bin/env bash
# Prints p50/p99 of GET /v2/apps?embed=apps.tasks with 1,000 apps / 10,000 tasks (target p99 < 100 ms).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/api -- "$@"
