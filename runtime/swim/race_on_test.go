//go:build race

package swim_test

// raceEnabled: the race detector slows the simulator about tenfold, so the
// thousand-member tests skip under it; `make test` runs them without it.
const raceEnabled = true
