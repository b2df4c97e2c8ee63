#!/usr/bin/env bash
# Prints the median time from the API call to TASK_RUNNING (process driver). Target: < 150 ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/taskstart -- "$@"
