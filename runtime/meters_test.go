package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
)

// Messages count by family at both ends: sent, broadcast, received, and
// the reasons one reached no handler; messages of a family the receiver
// neither handles nor registered count in OtherFamilies, so that a member
// cannot grow the table. Handler and Join durations are timed.
func TestFamilyStats(t *testing.T) {
	nodes := cluster(t, 2, nil)
	ctx := context.Background()
	a, b := nodes[0], nodes[1]
	b.Handle(5, func(_ runtime.Member, p []byte) {
		if string(p) == "bad" {
			b.CountUndecodable(5, assert.AnError)
		}
	})
	for _, p := range []string{"x", "bad", "y"} {
		require.NoError(t, a.Send(ctx, "node-1", 5, []byte(p)))
	}
	require.NoError(t, a.Broadcast(ctx, 5, []byte("z")))
	require.NoError(t, a.BroadcastKeyed(ctx, 5, "k", []byte("w")))
	require.NoError(t, a.Send(ctx, "node-1", 6, []byte("nobody handles 6")))

	eventually(t, 10*time.Second, "six messages at node-1", func() bool {
		s := b.Stats()
		return s.Families[5].Received+s.OtherFamilies.Received == 6 && s.Timings.Handler.Count == 5 && s.Undelivered == 1
	})
	sa, sb := a.Stats(), b.Stats()
	assert.Equal(t, runtime.FamilyStats{Sent: 3, Broadcast: 2}, sa.Families[5])
	assert.Equal(t, runtime.FamilyStats{Sent: 1}, sa.Families[6], "a family sent counts one by one")
	assert.Equal(t, runtime.FamilyStats{Received: 5, ReceivedBroadcast: 2, Undecodable: 1}, sb.Families[5])
	_, ok := sb.Families[6]
	assert.False(t, ok, "a family the receiver neither handles nor registered gets no entry")
	assert.Equal(t, runtime.FamilyStats{Received: 1, NoHandler: 1}, sb.OtherFamilies)
	assert.Equal(t, uint64(1), sb.Undecodable)
	assert.Equal(t, sb.Timings.Handler.Count, sb.Timings.Handler.Buckets[runtime.TimingBuckets-1], "no handler ran for 10 s")
	assert.Zero(t, sb.InboundOverflow)
	assert.Zero(t, sb.ShortMessages)

	n, err := b.Join(ctx, a.LocalMember().Addr.String())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	j := b.Stats().Timings.Join
	assert.Equal(t, uint64(1), j.Count)
	assert.Positive(t, j.Sum)
	assert.Equal(t, j.Sum, j.Mean())
}

// Messages dropped because the handlers fell 1,024 behind count as
// Overflow of their family.
func TestFamilyStatsOverflow(t *testing.T) {
	nodes := cluster(t, 2, nil)
	ctx := context.Background()
	a, b := nodes[0], nodes[1]
	release := make(chan struct{})
	b.Handle(5, func(runtime.Member, []byte) { <-release })
	defer close(release)
	// More than the queue holds, in rounds until some overflow: on a
	// loaded machine the socket may drop some of a round.
	sent := 0
	eventually(t, 10*time.Second, "messages past the handlers' queue dropped", func() bool {
		for range 1200 {
			require.NoError(t, a.Send(ctx, "node-1", 5, []byte("x")))
			sent++
		}
		return b.Stats().Families[5].Overflow > 0
	})
	f := b.Stats().Families[5]
	assert.LessOrEqual(t, f.Received, uint64(sent))
	assert.LessOrEqual(t, f.Received-f.Overflow, uint64(1024+1), "at most the queue and the message in the handler")
}

// Every direct ack's round trip, as the core reports it, lands in
// Timings.ProbeRTT: on loopback, within the histogram's bounds.
func TestProbeRTTTimed(t *testing.T) {
	nodes := cluster(t, 2, nil)
	var h runtime.Histogram
	eventually(t, 10*time.Second, "probe round trips timed", func() bool {
		h = nodes[0].Stats().Timings.ProbeRTT
		return h.Count >= 3
	})
	assert.Equal(t, h.Count, h.Buckets[runtime.TimingBuckets-1], "a loopback round trip under 10 s")
	assert.Positive(t, h.Mean())
	d, err := nodes[0].Ping(context.Background(), "node-1")
	require.NoError(t, err)
	assert.Greater(t, nodes[0].Stats().Timings.ProbeRTT.Count, h.Count, "a Ping's round trip (%v) too", d)
}
