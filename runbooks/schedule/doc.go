// Package schedule fires patchgate's recurring jobs (the 4th-Sunday patch
// cycle, the morning SAML check and drift report, the digests) from cron
// expressions with explicit time zones.
//
// Several bot replicas may run a Scheduler against one state.Store. Only the
// replica holding the "scheduler" lease fires, and each firing is claimed
// once by (job, scheduled time), so a failover between the claim of one
// replica and the bookkeeping of the next never fires a job twice. The last
// time considered per job lives in the store, so a replica that was down
// catches up a missed firing within Options.Grace and skips older ones.
//
// Delivery is at most once per (job, scheduled time): a replica that dies
// after claiming a firing but before running it loses that firing. The jobs
// behind it (cycle start, digests) are cheap to run again by hand with
// RunOnce, whereas a double patch-cycle start or double post is not.
package schedule
