#!/usr/bin/env bash
# Runs the benchmarks: sets up what is missing, builds in Release, prints markdown tables with ratios.
# Usage: bash bench/run.sh [ladder] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
exec dotnet run -c Release --project bench/RtmpGateway.Bench -- "${@:-ladder}"
