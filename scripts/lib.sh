# Shared helpers for schemagate scripts. Source it; do not run it.
# Everything the tests need is installed into a cache outside the checkout so that a
# fresh clone (CI) reuses it: ${SCHEMAGATE_CACHE:-$HOME/.cache/schemagate}.
set -euo pipefail
SCHEMAGATE_CACHE="${SCHEMAGATE_CACHE:-$HOME/.cache/schemagate}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TANSU_VERSION=0.6.0
TANSU_ROOT="$SCHEMAGATE_CACHE/tansu-$TANSU_VERSION"
VENV="$SCHEMAGATE_CACHE/venv"
NODE_DIR="$SCHEMAGATE_CACHE/node"
export SCHEMAGATE_CACHE TANSU_ROOT VENV NODE_DIR
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
