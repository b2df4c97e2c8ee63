#!/usr/bin/env bash
# Installs what the tests need (Debian packages, only when missing), builds the solution,
# runs every test project under tests/ and ends with ONE summary line:
#   N passed, N failed, N skipped
# summed over all projects (CI reads that line). Exits non-zero if the build or any test failed.
#
# Environment:
#   DROVER_TEST_FILTER    passed to `dotnet test --filter` (e.g. "FullyQualifiedName~Harness")
#   DROVER_TEST_PROJECTS  regex on the project name to run only some projects (e.g. "Core|State")
#   DROVER_SOAK=1         enables long-running soak tests (read by the tests themselves)
#   DROVER_TEST_TIMEOUT   overall budget in seconds for the whole script (default 2400 = 40 min)
#   DROVER_HANG_TIMEOUT   per-test hang timeout for `dotnet test --blame-hang-timeout` (default 10m)
#   DROVER_TEST_VERBOSE=1 stream dotnet's own output instead of keeping it in the log files
#   DROVER_SKIP_APT=1     don't check/install Debian packages
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$(pwd)
# One stream, so diagnostics can never land after the summary line.
exec 2>&1

# Debian packages the tests use. Add haproxy, etcd-server, docker.io … here when tests need them.
APT_PACKAGES=(
  python3-marathon   # Debian's Marathon client: compatibility tests (run with /usr/bin/python3)
  python3-consul     # Consul client: compatibility tests
  dnsutils           # dig
  curl
  iproute2           # ip netns
  procps             # ps, pgrep
  util-linux         # setsid, flock, script (pseudo-terminals for the CLI's live views)
  zsh                # the CLI's zsh completion script is run by a test
  docker.io          # the Docker driver's tests start their own dockerd
  busybox-static     # /bin/busybox: the rootfs of the tests' local image (nothing is pulled from the internet)
  docker-registry    # a private registry on 127.0.0.1 for the authenticated-pull test
  apache2-utils      # htpasswd (bcrypt) for that registry's basic auth
  haproxy            # the load balancer Drover.Lb drives through its runtime API; its DNS resolvers run against Drover's DNS
  nginx              # drover lb --nginx renders and reloads a real Nginx (nginx -t validates every config)
  keepalived         # entry-point HA: the VIP moves between network-namespace lb hosts
  wrk                # bench/lb: throughput and failed requests through the Drover-managed HAProxy vs a hand-configured one
  etcd-server        # the etcd state store and leader election run against real etcd 3.4 members on loopback
  prometheus         # promtool check metrics validates the server's and agents' /metrics
  chromium           # headless browser for the dashboard's end-to-end tests and bench/ui (driven through NuGet Microsoft.Playwright)
)

START=$(date +%s)
BUDGET=${DROVER_TEST_TIMEOUT:-2400}
DEADLINE=$((START + BUDGET))
HANG_TIMEOUT=${DROVER_HANG_TIMEOUT:-10m}
OUT="$ROOT/artifacts/test-results"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DEBIAN_FRONTEND=noninteractive

total_passed=0
total_failed=0
total_skipped=0
summary_printed=0
current_pgid=""

summary() {
  [[ $summary_printed == 1 ]] && return
  summary_printed=1
  echo "test.sh: finished in $(( $(date +%s) - START ))s"
  echo "${total_passed} passed, ${total_failed} failed, ${total_skipped} skipped"
}

# A fatal problem before/while running tests: count it as one failure, print the summary, stop.
fail_fast() {
  echo "test.sh: ERROR: $*" >&2
  total_failed=$((total_failed + 1))
  summary
  exit 1
}

on_signal() {
  if [[ -n $current_pgid ]]; then kill -KILL -- "-$current_pgid" 2>/dev/null || true; fi
  fail_fast "interrupted"
}
trap on_signal INT TERM

remaining() {
  local r=$((DEADLINE - $(date +%s)))
  (( r > 0 )) && echo "$r" || echo 0
}

# run_limited LOGFILE CMD...: runs CMD in its own process group with the remaining time budget;
# afterwards kills whatever is left of that group (stray children of a crashed test host).
run_limited() {
  local log=$1; shift
  local budget; budget=$(remaining)
  if (( budget <= 0 )); then echo "overall time budget exhausted" >"$log"; return 124; fi
  local rc=0
  if [[ ${DROVER_TEST_VERBOSE:-0} == 1 ]]; then
    timeout --kill-after=20 "$budget" "$@" > >(tee "$log") 2>&1 &
  else
    timeout --kill-after=20 "$budget" "$@" >"$log" 2>&1 </dev/null &
  fi
  current_pgid=$!
  wait "$current_pgid" || rc=$?
  kill -KILL -- "-$current_pgid" 2>/dev/null || true
  current_pgid=""
  return "$rc"
}

# ---------------------------------------------------------------- Debian packages
install_packages() {
  [[ ${DROVER_SKIP_APT:-0} == 1 ]] && return 0
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
  done
  (( ${#missing[@]} == 0 )) && return 0
  echo "test.sh: installing Debian packages: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || fail_fast "packages missing (${missing[*]}) and not root; install them or set DROVER_SKIP_APT=1"
    sudo=(sudo -n)
  fi
  local log="$OUT/apt.log"
  if ! run_limited "$log" "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
     || ! run_limited "$log.install" "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
          apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    tail -n 30 "$log" "$log.install" 2>/dev/null >&2 || true
    fail_fast "apt-get failed installing: ${missing[*]}"
  fi
}

# ---------------------------------------------------------------- TRX parsing
# Prints "passed failed skipped" for one TRX file. Errors/timeouts/aborts count as failed,
# NotExecuted (xunit Skip) as skipped. Also prints the names of failed tests to stderr.
trx_counts() {
  /usr/bin/python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
passed = failed = skipped = 0
for r in root.iter():
    if not r.tag.endswith('}UnitTestResult'):
        continue
    outcome = r.get('outcome', '')
    if outcome == 'Passed':
        passed += 1
    elif outcome in ('NotExecuted', 'Inconclusive', 'Pending'):
        skipped += 1
    else:
        failed += 1
        msg = ''
        for m in r.iter():
            if m.tag.endswith('}Message') and m.text:
                msg = m.text.strip().splitlines()[0][:300]
                break
        print(f"    FAILED {r.get('testName')} ({outcome}): {msg}", file=sys.stderr)
        # The first few failures also show the end of their test output (server and agent lines, where the test
        # wrote them), so a CI log whose artifacts are gone still says why.
        if failed <= 3:
            out = next((m.text for m in r.iter() if m.tag.endswith('}StdOut') and m.text), '')
            for line in out.rstrip().splitlines()[-60:]:
                print(f"      | {line[:240]}", file=sys.stderr)
print(passed, failed, skipped)
PY
}

# The interesting lines of a crashed/hung run's log (the full log has long stack traces).
crash_excerpt() {
  local log=$1 excerpt
  excerpt=$({ grep -m1 -A4 'The active test run was aborted' "$log"
              grep -A1 'test running when the crash occurred' "$log"
              grep 'inactivity time' "$log"; } 2>/dev/null | cut -c1-240 | head -n 14 || true)
  [[ -n $excerpt ]] || excerpt=$(tail -n 15 "$log" | cut -c1-240)
  printf '%s\n' "$excerpt" | sed 's/^/    | /'
}

# ---------------------------------------------------------------- main
rm -rf "$OUT"
mkdir -p "$OUT"

install_packages

if ! command -v dotnet >/dev/null 2>&1; then
  fail_fast "the .NET SDK ('dotnet') is not on PATH. It is preinstalled on Drover's build machines; install the .NET 10 SDK and re-run."
fi
[[ -x /usr/bin/python3 ]] || fail_fast "/usr/bin/python3 is missing (apt-get install python3)"

echo "test.sh: building Drover.slnx (Release) with $(dotnet --version 2>/dev/null || echo '?') ..."
if ! run_limited "$OUT/build.log" dotnet build Drover.slnx -c Release -nologo -v quiet \
     --disable-build-servers -p:UseSharedCompilation=false; then
  if grep -qE ': (error|warning) ' "$OUT/build.log"; then
    grep -E ': (error|warning) ' "$OUT/build.log" | sort -u | head -n 50
  else
    tail -n 30 "$OUT/build.log"
  fi
  fail_fast "build failed (full log: $OUT/build.log)"
fi
echo "test.sh: build ok ($(( $(date +%s) - START ))s)"

# only projects that are test projects (helper executables such as the crash writer live beside them)
mapfile -t projects < <(grep -l 'Microsoft.NET.Test.Sdk' $(find tests -mindepth 2 -maxdepth 2 -name '*.csproj') | sort)
(( ${#projects[@]} > 0 )) || fail_fast "no test projects found under tests/"

filter_args=()
[[ -n ${DROVER_TEST_FILTER:-} ]] && filter_args=(--filter "$DROVER_TEST_FILTER")

for proj in "${projects[@]}"; do
  name=$(basename "$proj" .csproj)
  if [[ -n ${DROVER_TEST_PROJECTS:-} ]] && ! [[ $name =~ $DROVER_TEST_PROJECTS ]]; then continue; fi
  dir="$OUT/$name"
  log="$OUT/$name.log"
  t0=$(date +%s)
  echo "test.sh: running $name ..."
  rc=0
  run_limited "$log" dotnet test "$proj" --no-build -c Release -nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$dir" \
    --blame-hang-timeout "$HANG_TIMEOUT" --blame-hang-dump-type none \
    "${filter_args[@]}" || rc=$?
  secs=$(( $(date +%s) - t0 ))
  trx="$dir/$name.trx"
  p=0 f=0 s=0 why=""
  if [[ -f $trx ]]; then
    read -r p f s < <(trx_counts "$trx") || why="could not parse $trx"
  else
    why="no TRX written"
  fi
  if [[ -z $why && $rc != 0 && $f == 0 ]]; then
    why="dotnet test exited $rc with no failed test recorded (test host crash or hang?)"
  fi
  (( rc == 124 || rc == 137 )) && why="timed out (overall budget ${BUDGET}s); ${why}"
  if [[ -n $why ]]; then
    f=$((f + 1))
    echo "  $name: $why (full log: $log)"
    crash_excerpt "$log"
  fi
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
  total_skipped=$((total_skipped + s))
  echo "  $name: $p passed, $f failed, $s skipped (${secs}s)"
  if (( f > 0 )) && [[ -z $why ]]; then
    echo "    (details: $log)"
  fi
  if (( $(remaining) <= 0 )); then
    echo "test.sh: overall time budget of ${BUDGET}s exhausted; skipping remaining projects" >&2
    total_failed=$((total_failed + 1))
    break
  fi
done

summary
(( total_failed == 0 ))
