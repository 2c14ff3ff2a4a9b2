package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Ping over loopback returns a round trip; after some probes each node
// knows the other's coordinate and estimates the round trip from it.
func TestPingAndCoordinates(t *testing.T) {
	a := start(t, fastConfig("a"))
	bc := fastConfig("b")
	bc.Discovery = discovery.Static(a.LocalMember().Addr.String())
	b := start(t, bc)
	nodes := []*runtime.Node{a, b}
	eventually(t, 5*time.Second, "a and b see each other", func() bool {
		return allSee(nodes, "a", runtime.StateAlive, nil) && allSee(nodes, "b", runtime.StateAlive, nil)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rtt, err := b.Ping(ctx, "a")
	require.NoError(t, err)
	assert.Positive(t, rtt)
	assert.Less(t, rtt, time.Second)
	_, err = b.Ping(ctx, "nobody")
	require.ErrorIs(t, err, runtime.ErrUnknownMember)
	eventually(t, 10*time.Second, "b estimates its round trip to a", func() bool {
		d, err := b.EstimateRTT("a")
		return err == nil && d > 0
	})
	assert.False(t, b.Coordinate() == runtime.Coordinate{}, "b's coordinate never moved")
}

// A join is a state exchange this node asked for: its duration lands in
// Stats.Timings.Sync.
func TestSyncTimingsOnJoin(t *testing.T) {
	a := start(t, fastConfig("a"))
	bc := fastConfig("b")
	bc.Discovery = discovery.Static(a.LocalMember().Addr.String())
	b := start(t, bc)
	eventually(t, 5*time.Second, "b's join exchange is timed", func() bool { return b.Stats().Timings.Sync.Count > 0 })
	s := b.Stats().Timings.Sync
	assert.Positive(t, s.Sum)
	assert.Less(t, s.Sum/time.Duration(s.Count), time.Second)
}
