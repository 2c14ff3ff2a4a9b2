package ours_test

import (
	"testing"

	"github.com/memberlist-go/memberlist/bench/cluster/clustertest"
	"github.com/memberlist-go/memberlist/bench/cluster/ours"
	"go.uber.org/goleak"
)

func TestImpl(t *testing.T) {
	// Registered first, so it runs after clustertest's cleanup closed every
	// member.
	t.Cleanup(func() { goleak.VerifyNone(t) })
	clustertest.Run(t, ours.Impl{})
}

func TestImplStreams(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	clustertest.RunStreams(t, ours.Impl{})
}
