#!/usr/bin/env bash
# Sets up what is missing and runs the gateway with its defaults: RTMP on 1935, HTTP on 8080.
# Extra arguments go to the gateway, e.g. --urls http://127.0.0.1:18080 --Rtmp:Port 19350
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
exec dotnet src/RtmpGateway.Server/bin/Release/net10.0/RtmpGateway.Server.dll "$@"
