package main

//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen

// ChaosMonkey is what the chaos example sends around the cluster: requests
// to misbehave in small, visible ways, and notes.
//
//memberlist:messages
type ChaosMonkey interface{ isChaosMonkey() }

// SimulateCpuSpike asks the receiver to burn CPU for a few seconds.
//
//memberlist:tag 1
type SimulateCpuSpike struct{ Seconds uint16 }

// SimulateLatency asks the receiver to pretend its work got slower.
//
//memberlist:tag 2
type SimulateLatency struct{ Millis uint32 }

// Note is a line of text with a few labels.
//
//memberlist:tag 3
type Note struct {
	Text   string   `memberlist:"max=200"`
	Labels []string `memberlist:"max=4,elem=16"`
}

func (SimulateCpuSpike) isChaosMonkey() {}
func (SimulateLatency) isChaosMonkey()  {}
func (Note) isChaosMonkey()             {}

// StateDump is what the chaos example sends over a stream: a node's state,
// larger than one datagram carries (runtime.MaxMessageSize), up to
// runtime.MaxStreamMessageSize.
//
//memberlist:messages stream
type StateDump interface{ isStateDump() }

// Dump is a snapshot of a node's (made-up) state: some tens of KB.
//
//memberlist:tag 1
type Dump struct {
	Entries []string `memberlist:"max=4096,elem=64"`
}

func (Dump) isStateDump() {}
