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

// Joins by state transfer (issue 12): a state transfer we asked for that
// echoes our nonce brings a joiner thousands of members at once, without
// a verification ping each; one that does not is candidates, pinged from
// the next gossip tick on; and the first transfer after a join that brought
// new members is checked again soon with another member.

// stateMember is the i-th member of a state transfer in these tests.
func stateMember(i int) (string, netip.AddrPort) {
	return fmt.Sprintf("m-%04d", i), netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i / 250), byte(1 + i%250)}), 1)
}

// giveState hands c, as the answer to a digest it sent to gossiper, the
// state of members first to first+n-1, in chunks of 40 records that echo
// the digest's nonce (vouched) or carry none.
func giveState(t *testing.T, c *Core, now time.Time, first, n int, vouched bool) {
	t.Helper()
	r := c.solicit(gossiper, 2*c.cfg.ProbeInterval)
	var nonce uint64
	if vouched {
		r.nonce = c.vouchNonce(true)
		nonce = r.nonce
	}
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
		step(t, c, now, wire.AppendSync(wire.AppendHeader(nil), &wire.Sync{Flags: flags, From: "z", Nonce: nonce, Records: recs}))
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
	for _, s := range sentOfType(t, rd, wire.TypePing) {
		if name, ok := names[s.to]; ok {
			ack := wire.AppendAck(wire.AppendHeader(nil), &wire.Ack{Nonce: s.msg.Ping.Nonce ^ nameTag(name)})
			out = append(out, sentPing{to: s.to, ack: ack})
		}
	}
	return out
}

// sent is a message the core sent, and where to.
type sent struct {
	to  netip.AddrPort
	msg wire.Message
}

// sentOfType decodes the packets in rd and returns their messages of type
// typ, in order.
func sentOfType(t *testing.T, rd Ready, typ wire.Type) []sent {
	t.Helper()
	var out []sent
	for _, p := range rd.Packets {
		msgs, err := wire.DecodePacket(p.Bytes, nil)
		require.NoError(t, err)
		for _, m := range msgs {
			if m.Type == typ {
				out = append(out, sent{to: p.To, msg: m})
			}
		}
	}
	return out
}

// digestsTo lists where the digests in rd went.
func digestsTo(t *testing.T, rd Ready) []netip.AddrPort {
	t.Helper()
	var out []netip.AddrPort
	for _, s := range sentOfType(t, rd, wire.TypeDigest) {
		out = append(out, s.to)
	}
	return out
}

// A transfer that echoes our digest's nonce makes its 700 members members
// at once, each reported joined, and costs no ping: the member that sent
// it heard from each.
func TestVouchedStateNeedsNoPings(t *testing.T) {
	c, now := testCore(t, 0)
	giveState(t, c, now, 0, 700, true)
	rd := c.Ready()
	assert.Empty(t, pingsTo(t, rd), "verification pings")
	assert.Len(t, rd.Events, 700, "joined events")
	for i := range 700 {
		name, _ := stateMember(i)
		_, ok := c.Member(name)
		assert.True(t, ok, "%s a member", name)
	}
	assert.Zero(t, c.Stats().Candidates)
}

// A transfer from the address we asked that does not echo the nonce (a
// forgery from that address, or an old peer) leaves candidates. None is
// pinged at once: from the next gossip tick verifySome pings at most
// verifyPerPeriod a period, and only answers make them members.
func TestUnvouchedStateIsPingedNextPeriod(t *testing.T) {
	c, now := testCore(t, 0)
	giveState(t, c, now, 0, 700, false)
	rd := c.Ready()
	assert.Empty(t, pingsTo(t, rd), "pings at once")
	assert.Empty(t, rd.Events, "events about candidates")
	assert.Equal(t, 700, c.Stats().Candidates)

	var pings []sentPing
	at := now
	for ; len(pings) == 0 && !at.After(now.Add(2*c.cfg.ProbeInterval)); at = at.Add(10 * time.Millisecond) {
		c.Tick(at)
		pings = append(pings, pingsTo(t, c.Ready())...)
	}
	require.NotEmpty(t, pings, "pings within two periods")
	assert.Positive(t, at.Sub(now), "pings sent with the transfer")
	assert.LessOrEqual(t, len(pings), verifyPerPeriod, "pings in one round")
	for _, p := range pings {
		require.NoError(t, c.Step(at, p.to, p.ack))
	}
	assert.Equal(t, 700-len(pings), c.Stats().Candidates, "the answered ones are members")
}

// pingsPerPeriod hands c a transfer of 700 candidates, then for three
// periods lets verifySome ping (as the period's gossip ticks do), acking
// every ping at once if answer, and returns the pings of each period.
func pingsPerPeriod(t *testing.T, answer bool) []int {
	t.Helper()
	c, now := testCore(t, 0)
	giveState(t, c, now, 0, 700, false)
	c.Ready()
	var per []int
	for range 3 {
		c.newPeriod()
		n := 0
		for range 4 { // a period's gossip ticks
			c.verifySome()
			pings := pingsTo(t, c.Ready())
			n += len(pings)
			if answer {
				for _, p := range pings {
					require.NoError(t, c.Step(now, p.to, p.ack))
				}
			}
		}
		per = append(per, n)
	}
	return per
}

// The verification budget follows the answers: made-up candidates, which
// never answer, cost verifyPerPeriod pings a period however many there
// are; real ones, answering, double it each period up to maxVerifying,
// so that a join of thousands is heard from in a few periods.
func TestVerificationBudgetFollowsAnswers(t *testing.T) {
	assert.Equal(t, []int{verifyPerPeriod, verifyPerPeriod, verifyPerPeriod}, pingsPerPeriod(t, false), "never answered")
	assert.Equal(t, []int{verifyPerPeriod, 2 * verifyPerPeriod, 700 - 3*verifyPerPeriod}, pingsPerPeriod(t, true), "all answered")
}

// An attacker forging the answer from the address asked, off the path,
// does not know the nonce: a chunk with another one brings candidates
// only, no member and no event.
func TestWrongNonceBringsCandidatesOnly(t *testing.T) {
	c, now := testCore(t, 0)
	r := c.solicit(gossiper, 2*c.cfg.ProbeInterval)
	r.nonce = c.vouchNonce(true)
	var recs []wire.Record
	for i := range 40 {
		name, addr := stateMember(i)
		recs = append(recs, wire.Record{Name: name, Addr: addr, Incarnation: 1})
	}
	step(t, c, now, wire.AppendSync(wire.AppendHeader(nil), &wire.Sync{Flags: wire.SyncLast, From: "z", Nonce: r.nonce + 2, Records: recs}))
	assert.Empty(t, c.Ready().Events)
	assert.Equal(t, 40, c.Stats().Candidates)
	for i := range 40 {
		name, _ := stateMember(i)
		_, ok := c.Member(name)
		assert.False(t, ok, "%s a member", name)
	}
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

	giveState(t, c, now, 0, 20, true)
	c.Ready()
	check := now.Add(resyncPeriods * c.cfg.ProbeInterval)
	// The just-joined sync of the next period (syncIfGrowing) goes
	// anywhere; the check, at the third period, goes to another member than the
	// last digest's.
	c.lastSynced = gossiper
	digestsBy(t, c, now, check.Add(-time.Millisecond))
	last := c.lastSynced
	got := digestsBy(t, c, check, check)
	require.Len(t, got, 1, "the check at %v", check)
	assert.NotEqual(t, last, got[0], "the check goes to another member")

	// Nothing new in the next transfer: no check after it.
	now = check.Add(time.Millisecond)
	giveState(t, c, now, 0, 20, true)
	assert.False(t, c.resyncArmed)
	assert.Empty(t, digestsBy(t, c, now, now.Add(resyncPeriods*c.cfg.ProbeInterval+time.Second)))

	// New members again, but the check after this join is spent: each
	// that finds views differ costs two whole states, and after every
	// transfer they kept hundreds joining in one process busy.
	now = now.Add(resyncPeriods*c.cfg.ProbeInterval + 2*time.Second)
	giveState(t, c, now, 20, 20, true)
	assert.False(t, c.resyncArmed, "a second check after one join")
}

// A transfer that teaches members long after this member joined (here, a
// core that started three sync intervals ago and never had its check)
// arms no check: a vouched check answered from a view holding members the
// others forgot would bring them back without pings.
func TestLateTransferArmsNoCheck(t *testing.T) {
	c, now := testCore(t, 0)
	require.False(t, c.resynced)
	now = now.Add(3 * c.cfg.SyncInterval)
	c.Tick(now)
	c.Ready()
	giveState(t, c, now, 0, 20, false)
	require.Equal(t, 20, len(c.candidates), "the transfer's members, heard of")
	assert.False(t, c.resyncArmed, "a check armed %v after the start", 3*c.cfg.SyncInterval)
}

// A join that completes long after the core started (seeds down for
// minutes) still gets its check, even when its whole answer fits in one
// chunk: the window counts from the join.
func TestLateJoinIsCheckedAgain(t *testing.T) {
	c, now := testCore(t, 0)
	now = now.Add(3 * c.cfg.SyncInterval)
	seed := netip.MustParseAddrPort("10.0.0.50:1")
	require.NoError(t, c.Join(now, []netip.AddrPort{seed}))
	c.Ready()
	var recs []wire.Record
	for i := range 10 {
		name, addr := stateMember(i)
		recs = append(recs, wire.Record{Name: name, Addr: addr, Incarnation: 1})
	}
	reply := wire.AppendSync(wire.AppendHeader(nil), &wire.Sync{Flags: wire.SyncReply | wire.SyncLast, From: "s", Nonce: c.pending[seed].nonce, Records: recs})
	require.NoError(t, c.Step(now, seed, reply))
	require.True(t, c.Joined())
	assert.True(t, c.resyncArmed, "no check after a join %v after the start", 3*c.cfg.SyncInterval)
}

// aliveRecords appends alive news of state members first to first+n-1 to b.
func aliveRecords(b []byte, first, n int) []byte {
	for i := first; i < first+n; i++ {
		name, addr := stateMember(i)
		b = wire.AppendAlive(b, &wire.Alive{Name: name, Addr: addr, Incarnation: 1})
	}
	return b
}

// News that rides on an ack to our own ping is believed without pings,
// as a vouched state is: the ack echoes the ping's nonce, which an
// off-path sender never saw. The same news without the ack, or with an
// ack to no ping of ours, brings candidates; and vouched news still counts
// against the sender's budget of new names.
func TestNewsOnAnAckNeedsNoPings(t *testing.T) {
	cases := []struct {
		name      string
		ack       bool // the packet answers our ping
		forged    bool // ... or carries an ack with a nonce we never sent
		n, packed int  // records, and per packet
		members   int  // members afterwards (z and a included)
	}{
		{name: "on our ack", ack: true, n: 20, packed: 20, members: 22},
		{name: "gossip", n: 20, packed: 20, members: 2},
		{name: "on a forged ack", forged: true, n: 20, packed: 20, members: 2},
		{name: "over the budget", ack: true, n: 180, packed: 20, members: 2 + newNamesPerSource},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, now := testCore(t, 0)
			for at := 0; at < tc.n; at += tc.packed {
				b := wire.AppendHeader(nil)
				switch {
				case tc.ack:
					token, err := c.Ping(now, "z")
					require.NoError(t, err)
					b = wire.AppendAck(b, &wire.Ack{Nonce: token})
				case tc.forged:
					b = wire.AppendAck(b, &wire.Ack{Nonce: 0x5eed})
				}
				step(t, c, now, aliveRecords(b, at, tc.packed))
			}
			rd := c.Ready()
			assert.Len(t, c.Members(), tc.members)
			assert.Empty(t, pingsTo(t, rd), "verification pings")
			assert.Equal(t, tc.members-2, c.counts[StateAlive]-1, "alive members but self and z")
		})
	}
}

// A view that grows by many members in a period does not sync for that
// alone; a member that has just joined does, once.
func TestGrowthAloneDoesNotSync(t *testing.T) {
	c, _ := testCore(t, 0)
	c.Ready()
	c.limits.added = 50
	c.syncIfGrowing()
	assert.Empty(t, digestsTo(t, c.Ready()), "a view that grew")
	c.justJoined = true
	c.syncIfGrowing()
	assert.Len(t, digestsTo(t, c.Ready()), 1, "a member that has just joined")
	c.syncIfGrowing()
	assert.Empty(t, digestsTo(t, c.Ready()), "once")
}

// sendsOfNews fills packets from c's queue until it is empty and counts
// the alive news sent of each member.
func sendsOfNews(t *testing.T, c *Core) map[string]int {
	t.Helper()
	sent := map[string]int{}
	for c.news.len() > 0 {
		msgs, err := wire.DecodePacket(c.fill(wire.AppendHeader(nil)), nil)
		require.NoError(t, err)
		for _, m := range msgs {
			if m.Type == wire.TypeAlive {
				sent[m.Alive.Name]++
			}
		}
	}
	return sent
}

// A member that a state transfer brought is passed on to a few members
// only, vouched for or verified later: a member that has just joined
// learns every member from one state, and all of them know each other.
// One heard of in gossip goes out at the full retransmit limit.
func TestStateMembersRelayedToAFew(t *testing.T) {
	c, now := testCore(t, 0)
	giveState(t, c, now, 0, 3, true)  // vouched: members at once
	giveState(t, c, now, 3, 3, false) // candidates until they answer
	c.Ready()
	c.verifySome()
	for _, p := range pingsTo(t, c.Ready()) {
		require.NoError(t, c.Step(now, p.to, p.ack))
	}
	// News from a member's packet that echoes our token (fromProven).
	c.addHeardOf(fromProven, gossiper, &wire.Alive{Name: "gossiped", Addr: netip.MustParseAddrPort("10.0.9.9:1"), Incarnation: 1}, false)
	limit := c.retransmitLimit()
	require.Greater(t, limit, stateRelaySends)
	sent := sendsOfNews(t, c)
	for i := range 6 {
		name, _ := stateMember(i)
		assert.Equal(t, stateRelaySends, sent[name], name)
	}
	assert.Equal(t, limit, sent["gossiped"])
}

// requireCandidates checks that c.candidates holds exactly the members not
// verified yet, each at the position it records.
func requireCandidates(t *testing.T, c *Core) {
	t.Helper()
	unverified := 0
	for _, m := range c.nodes {
		if m.verified {
			continue
		}
		unverified++
		require.Less(t, int(m.candIdx), len(c.candidates), m.Name)
		require.Same(t, m, c.candidates[m.candIdx], m.Name)
	}
	require.Len(t, c.candidates, unverified)
}

// The candidates' own list, which verifySome walks instead of every
// member, follows answers and removals: the answered leave it, a removed
// one leaves it, and the one moved into its place is found where it says.
func TestCandidateListFollowsVerifyAndRemove(t *testing.T) {
	c, now := testCore(t, 0)
	giveState(t, c, now, 0, 700, false)
	c.Ready()
	requireCandidates(t, c)

	c.newPeriod()
	c.verifySome()
	pings := pingsTo(t, c.Ready())
	require.NotEmpty(t, pings)
	for _, p := range pings[:len(pings)/2] {
		require.NoError(t, c.Step(now, p.to, p.ack))
	}
	requireCandidates(t, c)
	assert.Len(t, c.candidates, 700-len(pings)/2)

	for _, m := range []*member{c.candidates[0], c.candidates[len(c.candidates)/2], c.candidates[len(c.candidates)-1]} {
		c.removeMember(m)
		requireCandidates(t, c)
	}
	assert.Len(t, c.candidates, 700-len(pings)/2-3)
}
