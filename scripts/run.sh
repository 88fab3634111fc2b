#!/usr/bin/env bash
# Builds the release app and serves it on http://127.0.0.1:8080 (rebuilding on source changes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
echo
echo "  brokerlab will be at  http://127.0.0.1:8080/   (Ctrl-C stops it)"
echo
exec trunk serve --release
