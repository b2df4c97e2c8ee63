#!/usr/bin/env bash
# Prints write latency (p50/p99 of single-op ApplyAsync) and batch throughput of the etcd store on a 1-member and a
# 3-member loopback etcd, next to the SQLite store, all in one run. Needs `etcd` on PATH (Debian etcd-server).
# Options: --ops N (single-op writes per store, default 1000), --batches N (default 200), --batch-size N (default 100).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/etcdstore -- "$@"
