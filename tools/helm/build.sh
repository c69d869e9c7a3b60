#!/usr/bin/env bash
# Builds helm from the official Go module (helm.sh/helm/v4, pinned in go.mod as a
# `tool` so `go mod tidy` keeps it), once, into a cache outside the repo:
#   ${NETFENCE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netfence}/helm/<key>/helm
# The key hashes go.mod, go.sum, this script's build revision and the Go version,
# so a version bump rebuilds and an unchanged tree reuses the binary.
# Progress goes to stderr; the binary's path is the only line on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache_root=${NETFENCE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netfence}
log() { printf '[helm] %s\n' "$*" >&2; }
# Bump when the build flags below change: it is part of the cache key.
build_rev=1

command -v go >/dev/null || { log "Go is required to build helm (https://go.dev/dl)"; exit 1; }
go_version=$(go env GOVERSION)
key=$( (echo "$build_rev"; cat "$here/go.mod" "$here/go.sum"; echo "$go_version") | sha256sum | cut -c1-16)
dir="$cache_root/helm/$key"
if [ -x "$dir/helm" ]; then
  log "using cached helm in $dir"
  echo "$dir/helm"; exit 0
fi

mkdir -p "$cache_root/helm"
# One build at a time: a second caller waits, then finds the cache filled.
exec 9>"$cache_root/helm/.lock"
if ! flock -n 9; then log "another build is running; waiting for it"; flock 9; fi
if [ -x "$dir/helm" ]; then
  log "using cached helm in $dir"
  echo "$dir/helm"; exit 0
fi
tmp=$(mktemp -d "$cache_root/helm/.build-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod

version=$(cd "$here" && go list -m -f '{{.Version}}' helm.sh/helm/v4)
# The same version variables upstream's Makefile sets, so `helm version` is truthful.
pkg=helm.sh/helm/v4/internal/version
ldflags="-s -w -X $pkg.version=$version -X $pkg.gitCommit=$version -X $pkg.gitTreeState=clean"

log "building helm $version with $go_version (first build downloads modules; 2-5 min on 2 cores)"
start=$(date +%s)
(cd "$here" && go mod download && go build -trimpath -ldflags "$ldflags" -o "$tmp/helm" helm.sh/helm/v4/cmd/helm)
rm -rf "$dir"; mv "$tmp" "$dir"; trap - EXIT
log "helm $version ready in $dir after $(( $(date +%s) - start ))s"
echo "$dir/helm"
