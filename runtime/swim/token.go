package swim

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"net/netip"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// Tokens let a member show, without keys, that the news it gossips comes
// from its own address, so that its news of new members is believed
// without a verification ping per member (see wire.Token). A packet to a
// member that carries alive news carries a token for it too (a keyed hash
// of its address under a secret of ours) unless it has a recent one, and
// echoes the token that member gave us. So does a verification ping, and
// the ack to a member's ping that gives a token (a verification ping)
// gives one back: the member that just joined is pinged by most others,
// and from then on each side believes the other's news of further joins.
// A packet from a member that echoes a valid token is proven
// (fromProven), as one that answers a ping of ours is: an off-path sender
// never saw the token.
//
// A joined member's news of thousands costs each member one ping and ack
// per new member otherwise: in the simulator, 512 members joining one
// after another 25 ms apart sent 125,530 pings without tokens and 60,232
// with them (146,076 with neither tokens nor acks as proof); 512 joining
// 8 ms apart, 68,911 before verification pings traded tokens and 45,470
// after. Steady traffic carries none: tokens ride only with alive news and
// verification pings.

// tokenRotation is how often the token secret is renewed. A token given
// under the previous secret is still accepted, so one is good for one to
// two rotations, and a member is given a new one once its last is a
// rotation old. Under a quarter of DeadRetention, so that a recording of
// a packet echoing a token is refused before a member it announces can
// have been forgotten and be brought back by it.
func (c *Core) tokenRotation() time.Duration {
	return min(time.Minute, c.cfg.DeadRetention/4)
}

// tokenFor is the token of address a with mac, one of the token secrets'
// HMACs: never zero, which means none on the wire.
func tokenFor(mac hash.Hash, a netip.AddrPort) uint64 {
	mac.Reset()
	ip := a.Addr().As16()
	mac.Write(ip[:])
	var port [2]byte
	binary.BigEndian.PutUint16(port[:], a.Port())
	mac.Write(port[:])
	var sum [sha256.Size]byte
	return max(1, binary.BigEndian.Uint64(mac.Sum(sum[:0])))
}

// validToken reports whether v is a token this core gave the address from
// lately.
func (c *Core) validToken(from netip.AddrPort, v uint64) bool {
	return v != 0 && (v == tokenFor(c.tokens.cur, from) || v == tokenFor(c.tokens.prev, from))
}

// maxTokenLen is the most a token message takes: type, array header and
// two uint64s.
const maxTokenLen = 1 + 1 + 9 + 9

// appendTokens appends to b, a packet bound for m that carries alive news
// or answers m's verification ping, the token m gave us, echoed, and a
// token for m when its last is a rotation old, if they fit the packet
// budget.
func (c *Core) appendTokens(m *member, b []byte) []byte {
	if len(b)+maxTokenLen > c.cfg.PacketBudget {
		return b
	}
	t := wire.Token{Echoed: m.tokenIn}
	if m.tokenGiven.IsZero() || c.now.Sub(m.tokenGiven) >= c.tokenRotation() {
		t.Given = tokenFor(c.tokens.cur, m.Addr)
		m.tokenGiven = c.now
	}
	if t == (wire.Token{}) {
		return b
	}
	return wire.AppendToken(b, &t)
}

// takeTokens reads the tokens in a packet from member m at from: one it
// gives us is kept to echo back; it reports whether the packet echoes a
// valid one of ours, and whether it gives us one.
func (c *Core) takeTokens(m *member, from netip.AddrPort, msgs []wire.Message) (proven, given bool) {
	for i := range msgs {
		if msgs[i].Type != wire.TypeToken {
			continue
		}
		t := &msgs[i].Token
		if t.Given != 0 {
			m.tokenIn, given = t.Given, true
		}
		if c.validToken(from, t.Echoed) {
			proven = true
		}
	}
	return proven, given
}
