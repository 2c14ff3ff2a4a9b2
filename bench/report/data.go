// Package report turns the measurements of one benchmark run into the
// figures of docs/SCENARIOS.md: a table of ours against the
// incumbent's with ratios, every goal met or not, docs/BENCHMARKS.md and
// the plots in docs/img.
package report

import (
	"time"

	"github.com/memberlist-go/memberlist/bench/scenario"
	"github.com/memberlist-go/memberlist/bench/sim"
)

// The implementations' names, as cluster.Impl.Name returns them.
const (
	Ours   = "ours"
	Theirs = "hashicorp"
)

// Data is everything one run measured.
type Data struct {
	// Machine says where and what was measured.
	Machine Machine
	// Quick marks a short development run, not to be quoted.
	Quick bool
	// Started and Seconds are when the run began and how long it took.
	Started time.Time
	Seconds float64
	// Repeats is how often each of S1 to S3 ran per implementation.
	Repeats int
	// Scenarios are S1 to S3.
	Scenarios []Scenario
	// Search is S4 by implementation.
	Search map[string]scenario.SearchResult
	// SearchSpec is the trial each S4 probe ran, N aside.
	SearchSpec scenario.Spec
	// SearchCap is the time each implementation's search could take.
	SearchCap time.Duration
	// Extra are trials run only for the curves against N.
	Extra []scenario.Result
	// SweepNs are the N of the curves against N.
	SweepNs []int
	// Codec are the lines of S5's go test -bench.
	Codec []Bench
	// Sim are S6's simulated runs.
	Sim []sim.Result
	// Errors are trials that failed to run, as messages.
	Errors []string
	// Skipped are parts left out to stay within the time budget.
	Skipped []string
}

// Machine describes where the run took place.
type Machine struct {
	CPU       string
	Cores     int
	GoVersion string
	OS        string
	Commit    string
}

// Scenario is one of S1 to S3 with the trials of both implementations.
type Scenario struct {
	// ID is "S1", "S2" or "S3".
	ID string
	// Spec is the trial each run ran.
	Spec scenario.Spec
	// Runs are the results by implementation.
	Runs map[string][]scenario.Result
}

// Bench is one line of go test -bench output.
type Bench struct {
	// Impl is Ours or Theirs; Op is "encode", "decode" or "encode+decode".
	Impl, Op string
	NsPerOp  float64
	// BytesPerOp and AllocsPerOp are the memory allocated per operation.
	BytesPerOp, AllocsPerOp float64
	// WireBytes is the size of the encoding, where reported.
	WireBytes float64
}
