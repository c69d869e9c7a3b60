#!/usr/bin/env bash
# Builds Calico felix v3.31.0 (the walkthrough's CNI enforcer) from the Go modules,
# once, into a cache outside the repo:
#   ${NETFENCE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netfence}/dataplane/<key>/
#     calico-felix     the static binary
#     crds/            libcalico-go/config/crd/*.yaml from the same module
# Calico's v3.x tags are not Go module versions, so the modules are addressed by the
# pseudo-versions that are v3.31.0. The checksum database does not answer for two of
# them, so GONOSUMDB covers github.com/projectcalico and this script checks each
# downloaded module against the h1: sum pinned below before anything is built; every
# other dependency is verified by calico's own go.sum (inside the pinned module).
# The key hashes the pins, the recipe revision and the Go version.
# Progress goes to stderr; the binary directory is the only line on stdout.
# --cached: print the directory if felix is already built, else exit 3 (builds nothing).
set -euo pipefail
cache_root=${NETFENCE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netfence}
log() { printf '[dataplane] %s\n' "$*" >&2; }
# Bump when the build recipe below changes: it is part of the cache key.
build_rev=1

calico_ver=v0.0.0-20251021213802-b1f3c43f8437
pins=(
  "github.com/projectcalico/calico $calico_ver h1:PbLe6D0Yis8ce4F+o/Dmlrv4Her2ZN6ns8rmlZoFoEY="
  "github.com/projectcalico/api v0.0.0-20251022175904-f2ab03771208 h1:ltTWo/cCc/8pEpzmlzIjt6r2383x2XDPkuBcd/9kE3k="
  "github.com/projectcalico/calico/lib/std $calico_ver h1:iLY3Uzt4pVX3jpS9Wt+mxakq1nfzN/32t6YZK9n7p/U="
)

command -v go >/dev/null || { log "Go is required to build felix (https://go.dev/dl)"; exit 1; }
command -v node >/dev/null || { log "Node.js is required (it reads go's JSON output)"; exit 1; }
go_version=$(go env GOVERSION)
key=$( (echo "$build_rev"; printf '%s\n' "${pins[@]}"; echo "$go_version") | sha256sum | cut -c1-16)
bin="$cache_root/dataplane/$key"
ready() { [ -x "$bin/calico-felix" ] && [ -d "$bin/crds" ]; }
if ready; then log "using cached felix in $bin"; echo "$bin"; exit 0; fi
if [ "${1:-}" = "--cached" ]; then log "felix is not built yet (netfence dataplane build)"; exit 3; fi

mkdir -p "$cache_root/dataplane"
# One build at a time: a second caller waits, then finds the cache filled.
exec 9>"$cache_root/dataplane/.lock"
if ! flock -n 9; then log "another build is running; waiting for it"; flock 9; fi
if ready; then log "using cached felix in $bin"; echo "$bin"; exit 0; fi
tmp=$(mktemp -d "$cache_root/dataplane/.build-XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
export CGO_ENABLED=0 GOTOOLCHAIN=local GONOSUMDB=github.com/projectcalico GOFLAGS=-buildvcs=false
start=$(date +%s)

log "downloading and verifying the pinned calico modules (felix v3.31.0)"
t=$(date +%s)
# One field of the JSON object `go mod download -json` prints, read with node (netfence needs it anyway).
field() { node -e 'const m = JSON.parse(require("fs").readFileSync(0, "utf8")); process.stdout.write(String(m[process.argv[1]] ?? ""))' "$1"; }
declare -A dirs
for pin in "${pins[@]}"; do
  read -r mod ver want <<<"$pin"
  json=$(cd "$tmp" && go mod download -json "$mod@$ver")
  got=$(field Sum <<<"$json")
  if [ "$got" != "$want" ]; then
    log "checksum mismatch for $mod@$ver: got $got, pinned $want; refusing to build"; exit 1
  fi
  dirs[$mod]=$(field Dir <<<"$json")
  log "  $mod@$ver $got (pinned)"
done
log "modules verified in $(( $(date +%s) - t ))s"

# calico's go.mod replaces ./api, ./lib/std and ./lib/httpmachinery; the module zip
# leaves those nested modules out, so assemble a writable tree that has them.
tree="$tmp/src"
cp -r "${dirs[github.com/projectcalico/calico]}" "$tree"; chmod -R u+w "$tree"
rm -rf "$tree/api" "$tree/lib/std"
cp -r "${dirs[github.com/projectcalico/api]}" "$tree/api"
cp -r "${dirs[github.com/projectcalico/calico/lib/std]}" "$tree/lib/std"
chmod -R u+w "$tree/api" "$tree/lib/std"
if [ ! -f "$tree/lib/httpmachinery/go.mod" ]; then
  mkdir -p "$tree/lib/httpmachinery"
  echo "module github.com/projectcalico/calico/lib/httpmachinery" > "$tree/lib/httpmachinery/go.mod"
fi

log "building calico-felix with $go_version (cold: about 8 min on 2 cores, 3.8 GB peak)"
t=$(date +%s)
out="$tmp/out"; mkdir -p "$out/crds"
(cd "$tree" && go build -trimpath -ldflags "-s -w" -o "$out/calico-felix" ./felix/cmd/calico-felix)
log "felix built in $(( $(date +%s) - t ))s"
cp "$tree"/libcalico-go/config/crd/*.yaml "$out/crds/"
log "copied $(ls "$out/crds" | wc -l) Calico CRDs"

rm -rf "$bin"; mv "$out" "$bin"
log "felix ready in $bin after $(( $(date +%s) - start ))s"
echo "$bin"
