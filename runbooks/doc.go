// Package runbooks is patchgate's core: the domain of a compliance-driven
// OS patch cycle and the engine that runs it, with no knowledge of Slack,
// the clouds or the store's backend.
//
// Its ideas:
//   - A Tenant is a customer platform; its Environments follow one
//     Pipeline of tiers (e.g. nonprod, staging, production). A tier carries
//     what it is (its Production and Staging flags, set once by config),
//     and every package reads those flags rather than comparing names.
//   - A Cycle is one patch run of one tenant through the pipeline; it is
//     made of Stages, one per tier, each moving through Phases (approval,
//     inventory, health, sensors, backup, patch, verify, soak, report).
//   - A Gate is a check a stage must pass before it changes anything or
//     after it did: inventory, health, sensor/kernel support, verification.
//     Its result, with the sources that answered, is audit evidence.
//   - A Decision is one person's click or command (approve, reject, halt,
//     resume, retry, proceed with exclusions), checked against the
//     approval policy (approvers, groups, minimum approvals, four eyes) and
//     against the revision the person saw.
//   - Every change of a cycle is an Event on its hash-chained audit stream;
//     the report stage turns the stream into the compliance evidence.
//   - The Engine reconciles active cycles: Next decides the one action a
//     cycle needs at a time, and the engine performs it through the ports
//     under a lease, so several replicas may share one store and a crash resumes
//     where it stopped.
//   - The ports are the interfaces it consumes (Inventory, Backups,
//     Patcher, Sensors, Health, Pager, Chat, Reporter, Directory, Access,
//     Archive, Notary), collected in Deps; providers/*, bot and reports
//     implement them and cmd/patchgate wires them.
//
// Beside the cycles, the daily checks (runbooks/daily: SAML certificate
// expiry, Terraform drift, status and posture digests) run each morning;
// runbooks/schedule fires both.
package runbooks
