// Package testkit holds small helpers shared by the tests of several
// packages: a buffer safe for concurrent writers, a wait-for-condition
// poller, and a self-signed certificate generator. Only tests import it.
package testkit
