#!/usr/bin/env bash
# Chaos over network-namespace hosts: a real server and 3 agents, 10 apps, N rounds (default 100) of random agent
# cuts and heals and task kills by PID; at the end, with every host healed, each app runs exactly its instances
# and the task processes alive on the hosts are exactly the tasks the API lists. Prints the seed, every fault and
# how long the cluster took to converge after the last heal. It is the soak test Netns/ChaosTests, which
# ./test.sh runs with DROVER_SOAK=1. Needs root (namespaces).
# Usage: bench/chaos/run.sh [rounds] [seed]
set -euo pipefail
cd "$(dirname "$0")/../.."
export DROVER_SOAK=1 DROVER_CHAOS_ROUNDS="${1:-100}"
[ -n "${2:-}" ] && export DROVER_CHAOS_SEED="$2"
dotnet build tests/Drover.IntegrationTests -c Release -nologo -v q
exec timeout 1800 dotnet test tests/Drover.IntegrationTests --no-build -c Release -nologo \
  --filter 'FullyQualifiedName~Netns.ChaosTests' --logger 'console;verbosity=detailed'
