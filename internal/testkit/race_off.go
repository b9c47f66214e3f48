//go:build !race

package testkit

// RaceEnabled reports whether the race detector is built in: it makes the
// code 5–10× slower, so a test sized for minutes of plain work shrinks.
const RaceEnabled = false
