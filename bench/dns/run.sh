#!/usr/bin/env bash
# DNS queries/s with dnsperf: Drover's DNS server (in-process) vs dnsmasq serving the same
# 1,000 services x 3 instances, A and SRV, in the same run; prints both and the ratio (target >= 1.0).
# Needs the Debian packages dnsperf and dnsmasq (installed here when missing and running as root);
# unbound is measured too when it is installed (apt-get install unbound). Options: see Program.cs.
set -euo pipefail
cd "$(dirname "$0")/../.."
missing=()
command -v dnsperf >/dev/null || missing+=(dnsperf)
[[ -x /usr/sbin/dnsmasq ]] || command -v dnsmasq >/dev/null || missing+=(dnsmasq)
if (( ${#missing[@]} > 0 )); then
  if [[ $(id -u) == 0 ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bench/dns: install ${missing[*]} (apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
export PATH="$PATH:/usr/sbin"
dotnet run -c Release --project bench/dns -- "$@"
