package swim

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Joins by state transfer (issue 12): a state transfer brings a joiner
// thousands of candidates, each heard from by a verification ping; and a
// transfer that brought new members is checked again soon with another
// member.

// stateMember is the i-th member of a state transfer in these tests.
func stateMember(i int) (string, netip.AddrPort) {
	return fmt.Sprintf("m-%04d", i), netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i / 250), byte(1 + i%250)}), 1)
}

// giveState hands c, as the answer to a digest it sent to gossiper, the
// state of members first to first+n-1, in chunks of 40 records.
func giveState(t *testing.T, c *Core, now time.Time, first, n int) {
	t.Helper()
	c.solicit(gossiper, 2*c.cfg.ProbeInterval)
	for at := first; at < first+n; at += 40 {
		var recs []wire.Record
		for i := at; i < min(at+40, first+n); i++ {
			name, addr := stateMember(i)
			recs = append(recs, wire.Record{Name: name, Addr: addr, Incarnation: 1})
		}
		var flags uint8
		if at+40 >= first+n {
			flags = wire.SyncLast
		}
		step(t, c, now, wire.AppendSync(wire.AppendHeader(nil), &wire.Sync{Flags: flags, From: "z", Records: recs}))
	}
}

// sentPing is a ping the core sent, and the ack that answers it.
type sentPing struct {
	to  netip.AddrPort
	ack []byte
}

// pingsTo collects the pings in rd to state members, with their answers.
func pingsTo(t *testing.T, rd Ready) []sentPing {
	t.Helper()
	names := map[netip.AddrPort]string{}
	for i := range 1000 {
		name, addr := stateMember(i)
		names[addr] = name
	}
	var out []sentPing
	for _, p := range rd.Packets {
		name, ok := names[p.To]
		if !ok {
			continue
		}
		msgs, err := wire.DecodePacket(p.Bytes, nil)
		require.NoError(t, err)
		for _, m := range msgs {
			if m.Type == wire.TypePing {
				ack := wire.AppendAck(wire.AppendHeader(nil), &wire.Ack{Nonce: m.Ping.Nonce ^ nameTag(name)})
				out = append(out, sentPing{to: p.To, ack: ack})
			}
		}
	}
	return out
}

// digestsTo lists where the digests in rd went.
func digestsTo(t *testing.T, rd Ready) []netip.AddrPort {
	t.Helper()
	var out []netip.AddrPort
	for _, p := range rd.Packets {
		msgs, err := wire.DecodePacket(p.Bytes, nil)
		require.NoError(t, err)
		for _, m := range msgs {
			if m.Type == wire.TypeDigest {
				out = append(out, p.To)
			}
		}
	}
	return out
}

// answerAll acks every ping of pings from its member's address, and
// returns the pings the acks set off.
func answerAll(t *testing.T, c *Core, now time.Time, pings []sentPing) []sentPing {
	t.Helper()
	for _, p := range pings {
		require.NoError(t, c.Step(now, p.to, p.ack))
	}
	return pingsTo(t, c.Ready())
}

// 700 candidates from one transfer: the table of verifications takes
// maxVerifying at once, and each answer sends the next ping in line
// without waiting for the next period, so all 700 are members without
// the clock moving. Before, the 188 past the table waited for
// verifyPerPeriod a period.
func TestAnsweredVerificationStartsTheNext(t *testing.T) {
	c, now := testCore(t, 0)
	giveState(t, c, now, 0, 700)
	pings := pingsTo(t, c.Ready())
	require.Len(t, pings, maxVerifying, "the table's worth of verification pings at once")

	next := answerAll(t, c, now, pings[:1])
	require.Len(t, next, 1, "one answer, one more ping")
	assert.NotEqual(t, pings[0].to, next[0].to)

	rest := answerAll(t, c, now, append(pings[1:], next...))
	assert.Len(t, rest, 700-maxVerifying-1, "every answer starts one of those in line")
	assert.Empty(t, answerAll(t, c, now, rest), "nobody left in line")
	for i := range 700 {
		name, _ := stateMember(i)
		_, ok := c.Member(name)
		assert.True(t, ok, "%s verified", name)
	}
	assert.Zero(t, c.Stats().Candidates)
}

// A candidate that never answers starts nothing: made-up members learnt
// from a transfer cost no more pings than the table holds, and the
// period's share (verifyPerPeriod) once they expire.
func TestUnansweredVerificationStartsNothing(t *testing.T) {
	c, now := testCore(t, 0)
	giveState(t, c, now, 0, 700)
	require.Len(t, pingsTo(t, c.Ready()), maxVerifying)
	sent := 0
	for at := now; !at.After(now.Add(c.cfg.ProbeInterval + 10*time.Millisecond)); at = at.Add(10 * time.Millisecond) {
		c.Tick(at)
		sent += len(pingsTo(t, c.Ready()))
	}
	assert.Zero(t, c.awaiting[ackVerify]-sent, "the first pings expired; only the period's share is awaited")
	assert.LessOrEqual(t, sent, verifyPerPeriod, "expiries start nothing")
}

// digestsBy ticks c every 10 ms from from to to and lists where the
// digests it sent went.
func digestsBy(t *testing.T, c *Core, from, to time.Time) []netip.AddrPort {
	t.Helper()
	var out []netip.AddrPort
	for at := from; !at.After(to); at = at.Add(10 * time.Millisecond) {
		c.Tick(at)
		out = append(out, digestsTo(t, c.Ready())...)
	}
	return out
}

// A transfer that brought new members is checked resyncPeriods later by a
// digest to another member; one that brought nothing new is not.
func TestStateWithNewMembersIsCheckedAgain(t *testing.T) {
	c, now := testCore(t, 0)
	// Past the first anti-entropy round (within SyncInterval of New), so
	// that its digest is not counted.
	now = now.Add(c.cfg.SyncInterval)
	c.Tick(now)
	c.Ready()

	giveState(t, c, now, 0, 20)
	answerAll(t, c, now, pingsTo(t, c.Ready()))
	check := now.Add(resyncPeriods * c.cfg.ProbeInterval)
	// The growth sync of the next period (syncIfGrowing) goes anywhere;
	// the check, at the third period, goes to another member than the
	// last digest's.
	c.lastSynced = gossiper
	digestsBy(t, c, now, check.Add(-time.Millisecond))
	last := c.lastSynced
	got := digestsBy(t, c, check, check)
	require.Len(t, got, 1, "the check at %v", check)
	assert.NotEqual(t, last, got[0], "the check goes to another member")

	// Nothing new in the next transfer: no check after it.
	now = check.Add(time.Millisecond)
	giveState(t, c, now, 0, 20)
	assert.False(t, c.resyncArmed)
	assert.Empty(t, digestsBy(t, c, now, now.Add(resyncPeriods*c.cfg.ProbeInterval+time.Second)))
}
