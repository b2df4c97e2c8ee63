#!/usr/bin/env bash
# Leader failover of 3 `drover server --etcd` processes on a 3-member loopback etcd (etcd's default timing). Each
# round SIGKILLs the leader, then (second series) asks the leader to abdicate (DELETE /v2/leader), and measures until
# (a) a survivor's /v2/leader names a new leader and (b) a write (PUT /v1/kv/bench) through a survivor is accepted;
# a killed server is restarted between rounds. Prints every round, then median and max.
# Then (argument `writes` for this alone, `failover` for the above alone) app writes through Drover on that etcd
# against a single server on SQLite, same run, no agent: sequential creates (POST /v2/apps) and concurrent scales
# (PUT /v2/apps/{id}?force=true, one app per client), through the leader, through a follower and through the SQLite
# server; writes/s, p50 and p99 each.
# Env: DROVER_BENCH_HA_CREATES (default 300), DROVER_BENCH_HA_CONCURRENCY (clients, default 8), DROVER_BENCH_HA_SCALES
# (per client, default 50), DROVER_BENCH_HA_ROUNDS (default 10), DROVER_BENCH_HA_LEASE_TTL (--leader-lease-ttl for the servers, e.g. 3s;
# default: the server's own default). Needs `etcd` on PATH (Debian etcd-server).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/ha -- "$@"
