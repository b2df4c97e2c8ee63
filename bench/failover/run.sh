#!/usr/bin/env bash
# Time from a master failing its health check to <svc>-vip answering the slave. Target < 2 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/failover -- "$@"
