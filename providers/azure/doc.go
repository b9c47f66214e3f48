// Package azure is patchgate's Azure provider: inventory of virtual machines
// and Arc-enabled servers, pre-patch managed-disk snapshots, and patch
// installation through Azure Update Manager's installPatches and
// assessPatches operations, all through azure-sdk-for-go's ARM clients.
//
// It acts only on targets whose Cloud is runbooks.Azure (Account is the
// subscription ID, Groups the resource groups, Selector tag filters);
// providers/multi sends it those and nothing else.
//
// Long-running operations survive a restart: StartPatch returns a handle
// holding each machine's installPatches resume token, and PatchStatus
// rebuilds the pollers from those tokens, so a restarted engine polls the
// operation it already started instead of installing again.
package azure
