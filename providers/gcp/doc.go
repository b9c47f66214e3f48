// Package gcp runs patchgate's fleet ports on Google Cloud: the inventory
// joins Compute Engine instances with OS Config inventory reports, backups
// are boot-disk snapshots, and patches go out as OS Config patch jobs.
//
// A runbooks.Target with Cloud gcp names a project (Account), optionally
// zones or regions (Regions: an entry ending in "-<letter>" such as
// "us-central1-a" is a zone; anything else, such as "us-central1", is a
// region and stands for all of its zones; none means every zone), and
// optionally instance labels that must all match (Selector). Targets of
// other clouds are ignored: providers/multi routes by cloud.
//
// Only RUNNING instances are listed: a stopped VM cannot be patched, and
// the OS Config agent of a stopped VM cannot report.
//
// Every call to the OS Config API passes a client-side limiter (reads and
// writes per minute) so a large cycle stays inside the project's quota
// instead of failing half-way with 429s.
package gcp
