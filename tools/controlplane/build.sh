#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager,
# kubectl) from the official Go modules, once, into a cache outside the repo:
#   ${NETFENCE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netfence}/controlplane/<key>/
# The key hashes both go.sum files, the wrapper sources and the Go version, so a
# version bump rebuilds and an unchanged tree reuses the binaries.
# Progress goes to stderr; the binary directory is the only line on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache_root=${NETFENCE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netfence}
log() { printf '[controlplane] %s\n' "$*" >&2; }
# Bump when the build flags below change: it is part of the cache key.
build_rev=1

command -v go >/dev/null || { log "Go is required to build the local control plane (https://go.dev/dl)"; exit 1; }
go_version=$(go env GOVERSION)
key=$( (echo "$build_rev"; cat "$here/kube/go.mod" "$here/kube/go.sum" "$here/kube/cmd/kube/main.go" \
         "$here/etcd/go.mod" "$here/etcd/go.sum" "$here/etcd/main.go"; echo "$go_version") \
       | sha256sum | cut -c1-16)
bin="$cache_root/controlplane/$key"
if [ -x "$bin/kube" ] && [ -x "$bin/etcd" ]; then
  log "using cached binaries in $bin"
  echo "$bin"; exit 0
fi

mkdir -p "$cache_root/controlplane"
# One build at a time: a second caller waits, then finds the cache filled.
exec 9>"$cache_root/controlplane/.lock"
if ! flock -n 9; then log "another build is running; waiting for it"; flock 9; fi
if [ -x "$bin/kube" ] && [ -x "$bin/etcd" ]; then
  log "using cached binaries in $bin"
  echo "$bin"; exit 0
fi
tmp=$(mktemp -d "$cache_root/controlplane/.build-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod
start=$(date +%s)

k8s_version=$(cd "$here/kube" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
etcd_version=$(cd "$here/etcd" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
minor=${k8s_version#v1.}; minor=${minor%%.*}
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date -X $pkg.gitCommit=$k8s_version"
done

log "building etcd $etcd_version with $go_version (first build downloads modules; a few minutes)"
t=$(date +%s)
(cd "$here/etcd" && go mod download && go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" .)
log "etcd built in $(( $(date +%s) - t ))s"

log "building kube-apiserver, kube-controller-manager and kubectl $k8s_version (cold: 6-15 min on 2 cores)"
t=$(date +%s)
(cd "$here/kube" && go mod download && go build -trimpath -tags selinux,notest -ldflags "$ldflags" -o "$tmp/kube" ./cmd/kube)
log "kube built in $(( $(date +%s) - t ))s"

for name in kube-apiserver kube-controller-manager kubectl; do ln -s kube "$tmp/$name"; done
rm -rf "$bin"; mv "$tmp" "$bin"; trap - EXIT
log "control plane ready in $bin after $(( $(date +%s) - start ))s"
echo "$bin"
