#!/usr/bin/env bash
# Prints the time to deploy and then roll N (default 100) instances of a quick-starting app.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/deploy -- "$@"
