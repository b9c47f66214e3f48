package runbooks

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
)

// ReplicaEnv names the environment variable that gives a process a stable
// replica name (the pod's, through the downward API).
const ReplicaEnv = "PATCHGATE_REPLICA"

// ReplicaID names one engine or notifier in leases and claims. A stable
// name lets a restarted process take its own cycle leases back at once
// instead of waiting for them to expire, so it is used as given; without
// one, host, PID and a random suffix keep two instances in one process (the
// tests') apart. Two live processes must never share a stable name.
func ReplicaID(stable string) string {
	if stable != "" {
		return stable
	}
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}
