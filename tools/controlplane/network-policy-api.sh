#!/usr/bin/env bash
# Fetches the upstream ClusterNetworkPolicy CRD (standard channel) from the Go module
# sigs.k8s.io/network-policy-api, pinned below by version and h1: sum, once, into a
# cache outside the repo:
#   ${NETFENCE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netfence}/network-policy-api/<key>/crds/
# The module proxy serves the zip; `go mod download` verifies it against the checksum
# database, and this script refuses it unless its h1: sum is the pinned one.
# Progress goes to stderr; the CRD directory is the only line on stdout.
set -euo pipefail
cache_root=${NETFENCE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netfence}
log() { printf '[network-policy-api] %s\n' "$*" >&2; }
# Bump when the recipe below changes: it is part of the cache key.
build_rev=1
module=sigs.k8s.io/network-policy-api
version=v0.3.0
want=h1:RL6fVXiix9IW1pj0ImkW645m+EWmb3dBGCiW19bg5+k=
channel=standard

key=$( (echo "$build_rev"; echo "$module $version $want $channel") | sha256sum | cut -c1-16)
out="$cache_root/network-policy-api/$key"
ready() { [ -d "$out/crds" ] && ls "$out/crds"/*.yaml >/dev/null 2>&1; }
if ready; then log "using cached CRDs in $out/crds"; echo "$out/crds"; exit 0; fi

command -v go >/dev/null || { log "Go is required to fetch $module (https://go.dev/dl)"; exit 1; }
command -v node >/dev/null || { log "Node.js is required (it reads go's JSON output)"; exit 1; }
mkdir -p "$cache_root/network-policy-api"
exec 9>"$cache_root/network-policy-api/.lock"
if ! flock -n 9; then log "another fetch is running; waiting for it"; flock 9; fi
if ready; then log "using cached CRDs in $out/crds"; echo "$out/crds"; exit 0; fi
tmp=$(mktemp -d "$cache_root/network-policy-api/.fetch-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

field() { node -e 'const m = JSON.parse(require("fs").readFileSync(0, "utf8")); process.stdout.write(String(m[process.argv[1]] ?? ""))' "$1"; }
json=$(cd "$tmp" && go mod download -json "$module@$version")
got=$(field Sum <<<"$json")
if [ "$got" != "$want" ]; then log "checksum mismatch for $module@$version: got $got, pinned $want; refusing it"; exit 1; fi
dir=$(field Dir <<<"$json")
log "$module@$version $got (pinned)"
mkdir -p "$tmp/out/crds"
cp "$dir/config/crd/$channel"/policy.networking.k8s.io_*.yaml "$tmp/out/crds/"
chmod -R u+w "$tmp/out"
rm -rf "$out"; mv "$tmp/out" "$out"
log "copied $(ls "$out/crds" | wc -l) CRD(s) from config/crd/$channel"
echo "$out/crds"
