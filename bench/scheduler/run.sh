#!/usr/bin/env bash
# Builds the scheduler benchmark in Release and runs it. Extra arguments go to the benchmark
# (e.g. ./run.sh --agents 5000 --apps 1000 --per-app 1000).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dotnet build -c Release "$here/Drover.Bench.Scheduler.csproj" -nologo -v quiet
exec dotnet "$here/bin/Release/net10.0/Drover.Bench.Scheduler.dll" "$@"
