package gentest

import (
	"context"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/testdata/gen/streamed"
)

// received is what a handler got, from whom.
type received[M any] struct {
	from string
	m    M
}

// A stream family end to end over real sockets: a ~1 MiB Snapshot, far
// over a packet, goes from a to b with the generated SendSync (over
// SendReliable) and arrives byte-identical at the generated OnSnapshot;
// a Request reaches OnRequest only; nothing reaches OnSyncError; a
// message over its bounds and a send to no member are refused with their
// errors. The datagram family of the same package still broadcasts.
func TestLoopbackStreamFamily(t *testing.T) {
	a, b := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	snapshots := make(chan received[streamed.Snapshot], 4)
	requests := make(chan received[streamed.Request], 4)
	readies := make(chan received[streamed.Ready], 4)
	errs := make(chan error, 4)
	defer streamed.OnSnapshot(b, func(from runtime.Member, m streamed.Snapshot) { snapshots <- received[streamed.Snapshot]{from.Name, m} })()
	defer streamed.OnRequest(b, func(from runtime.Member, m streamed.Request) { requests <- received[streamed.Request]{from.Name, m} })()
	defer streamed.OnSyncError(b, func(_ runtime.Member, err error) { errs <- err })()
	defer streamed.OnReady(b, func(from runtime.Member, m streamed.Ready) { readies <- received[streamed.Ready]{from.Name, m} })()

	dump := make([]byte, 1<<20-100) // about 1 MiB: some 900 packets' worth
	r := rand.New(rand.NewPCG(20, 21))
	for i := range dump {
		dump[i] = byte(r.Uint32())
	}
	sent := streamed.Snapshot{Version: 42, Taken: time.Unix(1_700_000_000, 5).UTC(), Dump: dump}
	enc, err := streamed.EncodeSync(nil, sent)
	require.NoError(t, err)
	require.Greater(t, len(enc), runtime.MaxMessageSize*900, "the snapshot must be far over a packet")

	before := b.Stats()
	require.NoError(t, streamed.SendSync(ctx, a, "b", sent))
	select {
	case got := <-snapshots:
		assert.Equal(t, "a", got.from)
		assert.Equal(t, sent.Version, got.m.Version)
		assert.True(t, sent.Taken.Equal(got.m.Taken), "taken %v, want %v", got.m.Taken, sent.Taken)
		assert.Equal(t, sha256.Sum256(sent.Dump), sha256.Sum256(got.m.Dump), "the dump arrived changed")
	case <-ctx.Done():
		t.Fatal("no Snapshot within 30s")
	}

	req := streamed.Request{Shards: []uint32{1, 2, 1 << 31}, Reason: "rebalance"}
	require.NoError(t, streamed.SendSync(ctx, a, "b", req))
	select {
	case got := <-requests:
		assert.Equal(t, received[streamed.Request]{"a", req}, got)
	case <-ctx.Done():
		t.Fatal("no Request within 30s")
	}
	assert.Empty(t, snapshots, "a Request reached OnSnapshot")
	assert.Empty(t, errs, "a valid message reached OnSyncError")
	assert.Equal(t, before.Undecodable, b.Stats().Undecodable, "valid stream messages counted undecodable")

	// Over its bound: refused before anything is sent, naming the field.
	err = streamed.SendSync(ctx, a, "b", streamed.Snapshot{Dump: make([]byte, 1<<20+1)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "streamed.Snapshot.Dump: 1048577 bytes, more than max=1048576")
	// To no member: SendReliable's error, testable with errors.Is.
	err = streamed.SendSync(ctx, a, "nobody", req)
	assert.True(t, errors.Is(err, runtime.ErrUnknownMember), "send to nobody: %v", err)

	// The datagram family beside it keeps its broadcast.
	require.NoError(t, streamed.BroadcastAnnounce(ctx, a, streamed.Ready{Version: 42}))
	select {
	case got := <-readies:
		assert.Equal(t, received[streamed.Ready]{"a", streamed.Ready{Version: 42}}, got)
	case <-ctx.Done():
		t.Fatal("no Ready within 30s")
	}
	assert.Empty(t, errs)
}
