#!/usr/bin/env bash
# The long reliability run, for release checks (docs/reliability.md): every probe of the standing
# suite (tests with trait Suite=Reliability) at its long size, against the published native binary.
#
#   tests/reliability/run-long.sh                 publish the native binary, then run everything
#   BOUNCER_EXECUTABLE=/path/bouncer run-long.sh  use that binary instead of publishing one
#
# A single count can be lowered to fit a time budget, for example BOUNCER_RELIABILITY_FILES=20000
# (also _SESSIONS, _RELOADS). The whole run is bounded by BOUNCER_RELIABILITY_TIMEOUT seconds
# (default 4 hours); each test has its own deadline too. Needs root for the network namespaces
# and unshare -n, as the short run does. Prints each probe's figures and the runner's summary.
set -uo pipefail
cd "$(dirname "$0")/../.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export BOUNCER_RELIABILITY=long
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "${BOUNCER_EXECUTABLE:-}" ]; then
    echo "publishing the native binary"
    if ! timeout 1200 dotnet publish src/Bouncer.Cli -c Release -o "$work/native" > "$work/publish.log" 2>&1; then
        tail -30 "$work/publish.log"
        exit 1
    fi
    export BOUNCER_EXECUTABLE=$work/native/bouncer
fi
echo "binary: $BOUNCER_EXECUTABLE ($("$BOUNCER_EXECUTABLE" --version)); $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC')"

dotnet build Bouncer.sln -c Release > "$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
log=$work/long.log
start=$(date +%s)
timeout "${BOUNCER_RELIABILITY_TIMEOUT:-14400}" dotnet test Bouncer.sln -c Release --no-build \
    --filter "Suite=Reliability" --logger "console;verbosity=detailed" > "$log" 2>&1
status=$?
echo "took $(( $(date +%s) - start )) s"

# Each probe's own figures (its test output), then each test's verdict and the summaries.
grep -E '^ +[0-9]+ (sessions|reloads|files|transfers|idle)|client sent|pushed|blackholed ended' "$log" | sed 's/^ *//' | sort -u
grep -E '^\s+(Passed|Failed|Skipped) ' "$log" | sed 's/^ *//'
grep -E '^(Passed|Failed)!' "$log"
exit "$status"
