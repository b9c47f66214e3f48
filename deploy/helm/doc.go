// Package helmchart holds the tests of the Helm chart in patchgate/: they
// render it with Helm's own template engine for several sets of values,
// decode every manifest strictly into the Kubernetes API types, and load
// the rendered patchgate.yaml with the real config loader. It is a module
// of its own so that Helm and the Kubernetes API types never enter the
// bot's dependency graph; .ci/helm runs it.
package helmchart
