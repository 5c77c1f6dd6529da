#!/usr/bin/env bash
# Installs what the gateway and its tests need on Debian 12 with the .NET 10 SDK, then builds.
# Idempotent: with everything present it only checks and does an incremental build.
# Usage: bash .ci/setup.sh [--tests]
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--tests" ] && want_tests=1

# The gateway: the FFmpeg 5.1 libraries (in-process transcoding) and the ffmpeg CLI.
packages=(ffmpeg libavcodec59 libavformat59 libavfilter8 libswscale6 libavutil57 libswresample4)
# The tests: docker-compose to check docker-compose.yml, Chromium for the player page's browser tests
# (Playwright drives Debian's /usr/bin/chromium; it never downloads a browser).
if [ "$want_tests" = 1 ]; then
  packages+=(docker-compose chromium gcc pkg-config libavcodec-dev libavutil-dev libswscale-dev libavfilter-dev libswresample-dev libavformat-dev)
fi
# The player page: node and npm install hls.js and dash.js from the npm registry. Debian's packages
# only when none are on PATH, so a node from elsewhere (NodeSource, nvm) is kept.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

bash .ci/apt-install.sh setup "${packages[@]}"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (dotnet not found on PATH)" >&2
  exit 1
fi

# The players, before the build copies them into wwwroot/vendor. npm ci only when node_modules is
# missing or older than package-lock.json (npm rewrites node_modules/.package-lock.json on install).
player=src/RtmpGateway.Server/player
if [ ! -f "$player/node_modules/.package-lock.json" ] || [ "$player/package-lock.json" -nt "$player/node_modules/.package-lock.json" ]; then
  echo "setup: npm ci in $player"
  (cd "$player" && npm ci --no-audit --no-fund --loglevel=error)
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build RtmpGateway.sln -c Release -nologo -clp:ErrorsOnly -warnaserror
