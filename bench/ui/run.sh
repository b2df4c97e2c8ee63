#!/usr/bin/env bash
# The dashboard at 1,000 apps / 10,000 tasks in headless Chromium: time to first render of the apps list, time from a
# scale API call to the list showing it, and GET /v2/apps?embed=apps.tasks for reference. Needs /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/ui -- "$@"
