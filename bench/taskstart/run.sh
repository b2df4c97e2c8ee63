#!/usr/bin/env bash
# Prints the median and p90 time from the API call to TASK_RUNNING for the process driver and, when dockerd is
# installed, the Docker driver (HOST and BRIDGE, image present) against a private dockerd. Target: < 150 ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/taskstart -- "$@"
