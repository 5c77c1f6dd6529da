#!/usr/bin/env bash
# Installs the peers bench/ compares the gateway with, for the bench only (CI's setup does not):
# nginx with the RTMP module and wrk from Debian, Node-Media-Server from the npm registry (the version
# pinned in bench/peers/node-media-server/package-lock.json). Idempotent.
# The bench runs its own nginx with its own config on loopback ports; Debian's nginx service, where
# the package starts one, is neither used nor touched.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(nginx libnginx-mod-rtmp wrk)
bash .ci/apt-install.sh setup-peers "${packages[@]}"

# npm ci only when node_modules is missing or older than the lock file (as .ci/setup.sh does for the player).
nms=bench/peers/node-media-server
if [ ! -f "$nms/node_modules/.package-lock.json" ] || [ "$nms/package-lock.json" -nt "$nms/node_modules/.package-lock.json" ]; then
  echo "setup-peers: npm ci in $nms"
  (cd "$nms" && npm ci --no-audit --no-fund --loglevel=error)
fi
