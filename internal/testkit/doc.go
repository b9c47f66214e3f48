// Package testkit holds small helpers shared by the tests of several
// packages: a buffer safe for concurrent writers, a wait-for-condition
// poller and a clock that moves only when told. Only tests import it.
// Self-signed certificates come from internal/selfsigned, which the
// simulated fleet uses too.
package testkit
