// Package sim is a simulated multi-cloud fleet: a deterministic, seeded,
// in-memory stand-in for the clouds, the EDR sensor, the monitoring and the
// pager that patchgate drives. The demo, the benchmarks and the end-to-end
// tests run the real engine against it.
//
// One Fleet implements every provider port of package runbooks. Hosts are
// generated from Config.Seed for exactly the configured tenants; faults
// (unmanaged hosts, missing sensors, unsupported kernels, failing backups and
// patches, health problems, transient provider errors) are named in
// Config.Faults and changed at run time, so tests can break a fleet, watch a
// gate stop it, repair it and retry. Every mutating call is counted in Stats,
// so a test can prove each operation was sent exactly once, and with
// Config.StatePath the whole simulated world survives a SIGKILL of the
// process that holds it.
package sim
