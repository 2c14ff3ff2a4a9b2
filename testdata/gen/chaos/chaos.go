// Package chaos is the example of the memberlist-gen issue: the messages
// a chaos example sends around its cluster.
package chaos

//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen

// ChaosMonkey is what the chaos example sends around the cluster.
//
//memberlist:messages
type ChaosMonkey interface{ isChaosMonkey() }

// SimulateCpuSpike asks a member to burn CPU for a while.
//
//memberlist:tag 1
type SimulateCpuSpike struct{ Seconds uint16 }

// Note is a line of text with a few labels.
//
//memberlist:tag 2
type Note struct {
	Text   string   `memberlist:"max=200"`
	Labels []string `memberlist:"max=4,elem=16"`
}

func (SimulateCpuSpike) isChaosMonkey() {}
func (Note) isChaosMonkey()             {}
