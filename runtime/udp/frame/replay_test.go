package frame

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t0 is an arbitrary wall-clock time for the tests' injected clocks.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func encCodec(t testing.TB) *Codec {
	return mustCodec(t, "prod", mustKeyring(t, testKey("a", 16)))
}

func TestReplaysRefuseCopies(t *testing.T) {
	enc := encCodec(t)
	r := NewReplays(4, 0)
	var sent [][]byte
	for i := range 4 {
		p := enc.SealAt(nil, []byte{1, byte(i)}, t0)
		require.NoError(t, r.Check(p, t0), "fresh datagram %d", i)
		sent = append(sent, p)
	}
	for i, p := range sent {
		assert.ErrorIs(t, r.Check(p, t0.Add(time.Second)), ErrReplayed, "copy of datagram %d", i)
	}
	plain := mustCodec(t, "prod", nil).Seal(nil, []byte{1})
	for i := range 2 {
		assert.NoError(t, r.Check(plain, t0), "a plain frame has no nonce: never a replay (copy %d)", i)
	}
}

// The allowance is inclusive on both sides, to the millisecond.
func TestReplaysClockSkewAllowance(t *testing.T) {
	enc := encCodec(t)
	const skew = 3 * time.Second
	for _, tc := range []struct {
		name  string
		ahead time.Duration // of the sender's clock over the receiver's
		want  error
	}{
		{"in time", 0, nil},
		{"behind by the allowance", -skew, nil},
		{"ahead by the allowance", skew, nil},
		{"behind by more", -skew - time.Millisecond, ErrStale},
		{"ahead by more", skew + time.Millisecond, ErrStale},
		{"a day old", -24 * time.Hour, ErrStale},
		{"a year ahead", 365 * 24 * time.Hour, ErrStale},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReplays(16, skew)
			p := enc.SealAt(nil, []byte{1}, t0.Add(tc.ahead))
			assert.Equal(t, tc.want, r.Check(p, t0))
		})
	}
}

// The attack of issue 10: record sealed datagrams, flush the window with
// more than it holds of other traffic, replay the recording. Before the
// filter bounded time, the copies were accepted.
func TestReplaysRecordingRefusedAfterFlush(t *testing.T) {
	for _, tc := range []struct {
		name string
		tick time.Duration // the clock's advance per flushing datagram
	}{
		{"a burst", time.Millisecond / 8},
		{"steady", time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc := encCodec(t)
			r := NewReplays(0, 0)
			now := t0
			var recording [][]byte
			for i := range 10 {
				p := enc.SealAt(nil, []byte{1, byte(i)}, now)
				require.NoError(t, r.Check(p, now))
				recording = append(recording, p)
			}
			now = now.Add(time.Millisecond)
			flush := 3 * DefaultReplayWindow / 2
			for i := range flush {
				p := enc.SealAt(nil, []byte{2, byte(i), byte(i >> 8)}, now)
				require.NoError(t, r.Check(p, now), "fresh datagram %d of the flush", i)
				now = now.Add(tc.tick)
			}
			for i, p := range recording {
				assert.ErrorIs(t, r.Check(p, now), ErrStale, "recorded datagram %d replayed after %d others", i, flush)
			}
			assert.LessOrEqual(t, r.n, DefaultReplayWindow, "the filter grew past its window")
		})
	}
}

// Once the allowance has passed, a copy is refused without the filter
// having to remember it.
func TestReplaysRecordingRefusedAfterSkew(t *testing.T) {
	enc := encCodec(t)
	r := NewReplays(0, 0)
	p := enc.SealAt(nil, []byte{1}, t0)
	require.NoError(t, r.Check(p, t0))
	assert.ErrorIs(t, r.Check(p, t0.Add(DefaultClockSkew)), ErrReplayed)
	assert.ErrorIs(t, r.Check(p, t0.Add(DefaultClockSkew+time.Millisecond)), ErrStale)
}

// A receiver whose clock steps back (an NTP correction) does not accept
// again a datagram it forgot because the allowance had passed: the floor
// stays.
func TestReplaysClockSteppedBack(t *testing.T) {
	enc := encCodec(t)
	const skew = time.Second
	r := NewReplays(8, skew)
	old := enc.SealAt(nil, []byte{1}, t0)
	require.NoError(t, r.Check(old, t0))
	later := t0.Add(time.Minute)
	for i := range 8 {
		require.NoError(t, r.Check(enc.SealAt(nil, []byte{2, byte(i)}, later), later))
	}
	assert.ErrorIs(t, r.Check(old, t0), ErrStale, "copy after the receiver's clock stepped back")
}

// A member whose clock is ahead does not push the floor over the others'
// traffic, even when they send more than the filter can remember over the
// allowance: the filter forgets the oldest send times first.
func TestReplaysFastClockDoesNotStarveOthers(t *testing.T) {
	enc := encCodec(t)
	const skew = 10 * time.Second
	r := NewReplays(64, skew)
	now := t0
	for i := range 64 * 100 {
		require.NoError(t, r.Check(enc.SealAt(nil, []byte{1, byte(i)}, now), now), "datagram %d from senders in time", i)
		if i%500 == 0 {
			// 18 datagrams within the 9 s it is ahead: fewer than the window.
			fast := now.Add(skew - time.Second)
			require.NoError(t, r.Check(enc.SealAt(nil, []byte{2, byte(i)}, fast), now), "datagram %d from a sender ahead", i)
		}
		now = now.Add(time.Millisecond)
	}
}

// A burst of datagrams sealed in one millisecond, more than the filter
// holds, costs at most that millisecond's excess, not what follows.
func TestReplaysBurstInOneMillisecond(t *testing.T) {
	enc := encCodec(t)
	r := NewReplays(64, 0)
	now := t0
	for i := range 32 {
		require.NoError(t, r.Check(enc.SealAt(nil, []byte{1, byte(i)}, now), now))
		now = now.Add(time.Millisecond)
	}
	var refused int
	for i := range 100 {
		if r.Check(enc.SealAt(nil, []byte{2, byte(i)}, now), now) != nil {
			refused++
		}
	}
	assert.Less(t, refused, 100-32, "the burst's datagrams that fit after forgetting the older ones are accepted")
	now = now.Add(time.Millisecond)
	require.NoError(t, r.Check(enc.SealAt(nil, []byte{3}, now), now), "the next millisecond")
}

// A send time near the 40-bit field's wrap reads back as the time nearest
// the receiver's clock.
func TestSentAtWraps(t *testing.T) {
	enc := encCodec(t)
	wrap := time.UnixMilli(1 << 40) // 2004-11-25
	for _, tc := range []struct{ sent, now time.Time }{
		{wrap.Add(-time.Millisecond), wrap.Add(time.Millisecond)},
		{wrap.Add(time.Millisecond), wrap.Add(-time.Millisecond)},
		{t0, t0},
		{t0, t0.Add(-100 * 24 * time.Hour)},
		{t0.Add(-17 * 365 * 24 * time.Hour), t0},
	} {
		p := enc.SealAt(nil, []byte{1}, tc.sent)
		got, ok := SentAt(p, tc.now)
		require.True(t, ok)
		assert.Equal(t, tc.sent.UnixMilli(), got, "sealed at %v, read at %v", tc.sent, tc.now)
	}
	_, ok := SentAt(mustCodec(t, "", nil).Seal(nil, []byte{1}), t0)
	assert.False(t, ok, "a plain frame has no send time")
}

// Remembering, refusing and pruning allocate nothing once the filter exists.
func TestReplaysDoNotAllocate(t *testing.T) {
	enc := encCodec(t)
	var ps [][]byte
	for i := range 4096 {
		ps = append(ps, enc.SealAt(nil, []byte{1, byte(i), byte(i >> 8)}, t0.Add(time.Duration(i)*time.Millisecond)))
	}
	r := NewReplays(256, 0)
	i := 0
	a := testing.AllocsPerRun(len(ps)-1, func() {
		_ = r.Check(ps[i], t0.Add(time.Duration(i)*time.Millisecond))
		_ = r.Check(ps[i/2], t0.Add(time.Duration(i)*time.Millisecond)) // a copy
		i++
	})
	assert.Zero(t, a, "allocations per datagram")
}

func BenchmarkReplaysCheck(b *testing.B) {
	enc := encCodec(b)
	ps := make([][]byte, 1<<14)
	for i := range ps {
		ps[i] = enc.SealAt(nil, []byte{1}, t0.Add(time.Duration(i)*time.Millisecond))
	}
	r := NewReplays(0, 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		j := i % len(ps)
		if j == 0 {
			r = NewReplays(0, 0)
		}
		_ = r.Check(ps[j], t0.Add(time.Duration(j)*time.Millisecond))
		i++
	}
}
