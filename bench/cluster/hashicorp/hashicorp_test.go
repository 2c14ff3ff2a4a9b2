package hashicorp_test

import (
	"testing"

	"github.com/memberlist-go/memberlist/bench/cluster/clustertest"
	"github.com/memberlist-go/memberlist/bench/cluster/hashicorp"
)

// The incumbent leaves goroutines of its own behind after Shutdown (its
// packet handler and timers wind down asynchronously), so there is no
// goleak check here.
func TestImpl(t *testing.T) {
	clustertest.Run(t, hashicorp.Impl{})
}

func TestImplStreams(t *testing.T) {
	clustertest.RunStreams(t, hashicorp.Impl{})
}
