#!/usr/bin/env bash
# Runs every test project of the solution and ends with one line: "N passed, N failed, N skipped".
# Everything the tests need beyond the .NET SDK is installed here, not by hand.
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Search]
set -uo pipefail
cd "$(dirname "$0")/.."

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

source scripts/tools.sh

# Azurite for the Azure storage adapter's tests and the AzureStorage cluster tests, handed to them
# through OUTFIT_AZURITE (the Blob server; the Table server sits beside it). A set OUTFIT_AZURITE is
# used as it is.
azurite_bin=".tools/node_modules/.bin/azurite-blob"
if [ -z "${OUTFIT_AZURITE:-}" ]; then
  if ! ensure_azurite; then
    if [ "${CI:-}" = "true" ]; then
      echo "azurite could not be installed; CI does not skip the Azure storage tests"
      echo "0 passed, 1 failed, 0 skipped"
      exit 1
    fi
    echo "azurite could not be installed; the Azure storage tests will be skipped"
  fi
  if [ -x "$azurite_bin" ]; then
    export OUTFIT_AZURITE="$PWD/$azurite_bin"
  fi
fi

# redis-server for the Redis cluster tests, which skip without it.
if ! ensure_redis; then
  if [ "${CI:-}" = "true" ]; then
    echo "redis-server could not be installed; CI does not skip the Redis cluster tests"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
  echo "redis-server could not be installed; the Redis cluster tests will be skipped"
fi

# Redocly, openapi-typescript and TypeScript for the API document's lint and generated-client test.
if ! ensure_openapi_tools; then
  if [ "${CI:-}" = "true" ]; then
    echo "the OpenAPI tools could not be installed; CI does not skip the API document's checks"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
  echo "the OpenAPI tools could not be installed; the API document's lint and client test will be skipped"
fi

# Chromium for the browser tests, which Playwright drives through its path (they skip without it).
if ! ensure_chromium; then
  if [ "${CI:-}" = "true" ]; then
    echo "chromium could not be installed; CI does not skip the browser tests"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
  echo "chromium could not be installed; the browser tests will be skipped"
fi

dotnet build Cluster.sln --configuration Release --nologo --verbosity quiet
build_status=$?
if [ $build_status -ne 0 ]; then
  echo "build failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

# One test project at a time (-m:1): several of them load the ONNX model and start silos, and on a
# 2-core machine running them all at once only trades a minute for timeouts.
dotnet test Cluster.sln --configuration Release --no-build --nologo -m:1 \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
test_status=$?

passed=0; failed=0; skipped=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  value() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  # A skipped test is counted in "total" but not in "executed" (its result says NotExecuted).
  skipped=$((skipped + $(value total) - $(value executed)))
done

if [ $test_status -ne 0 ] && [ $failed -eq 0 ]; then
  # The runner failed without a failed test (a crashed test host, say): count it as a failure.
  failed=1
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
