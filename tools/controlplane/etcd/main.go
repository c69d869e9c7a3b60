// Command etcd is the official etcd server (go.etcd.io/etcd/server/v3), built
// from the Go module proxy for netfence's local control plane. It lives in its
// own module so version selection never moves the Kubernetes module's
// dependencies.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
