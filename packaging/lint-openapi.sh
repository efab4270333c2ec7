#!/usr/bin/env bash
# Validates schemas/openapi.yaml against the OpenAPI 3.1 specification with swagger-cli (from
# npm's registry; Debian's npm is installed when npx is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npx >/dev/null; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "lint-openapi: npx is missing; run as root to install Debian's npm" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm >/dev/null
fi
npx --yes @apidevtools/swagger-cli@4.0.4 validate schemas/openapi.yaml
