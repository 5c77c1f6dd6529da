#!/usr/bin/env bash
# Runs the benchmarks: sets up what is missing, builds in Release, prints markdown tables with ratios.
# Usage: bash bench/run.sh                                   peers, then ladder (under 20 min from a fresh clone)
#        bash bench/run.sh peers [seconds] [publishers] [scenarios]
#                                                            the gateway against nginx-rtmp and Node-Media-Server
#                                                            (defaults: 30 s, 1,8,32 publishers, scenarios
#                                                            1,2,3,4,5; 7 is derived from 1)
#        bash bench/run.sh ladder [seconds]
#        bash bench/run.sh latency [seconds] [video bitrate]
#        bash bench/run.sh isolation [seconds]           one stream's LL-HLS part lateness alone and
#                                                            beside 30 RTMP viewers that never read, a
#                                                            stalled hub reader and a ladder stream
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
case "${1:-all}" in
  all | peers) bash bench/setup-peers.sh ;;
esac
# setup.sh built the solution (the bench and the gateway it starts) in Release.
exec dotnet bench/RtmpGateway.Bench/bin/Release/net10.0/RtmpGateway.Bench.dll "${@:-all}"
