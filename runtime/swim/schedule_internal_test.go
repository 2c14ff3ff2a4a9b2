package swim

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/require"
)

// The ring stays the members nextProbeTarget may probe, in name order,
// through random joins, verifications, state changes and removals, and
// selfPlace where we would be in it.
func TestRingFollowsMembers(t *testing.T) {
	c, err := New(time.Unix(1_000_000, 0), DefaultLANConfig(), Member{Name: "m30x", Addr: netip.MustParseAddrPort("10.0.0.1:1")}, 1)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 5000 {
		name := fmt.Sprintf("m%02d", rng.IntN(60))
		m, known := c.members[name]
		switch {
		case !known:
			addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, 0, byte(rng.IntN(250))}), uint16(1000+step))
			c.addMember(&wire.Alive{Name: name, Addr: addr, Incarnation: 1}, rng.IntN(2) == 0)
		case !m.verified && rng.IntN(2) == 0:
			c.markVerified(m)
		case rng.IntN(8) == 0:
			c.removeMember(m)
		default:
			c.setState(m, []State{StateAlive, StateSuspect, StateDead, StateLeft}[rng.IntN(4)])
		}
		want := slices.DeleteFunc(slices.Clone(c.nodes), func(m *member) bool { return !inSchedule(m) })
		slices.SortFunc(want, func(a, b *member) int { return strings.Compare(a.Name, b.Name) })
		require.Equal(t, names(want), names(c.ring), "step %d", step)
		require.Equal(t, c.ringPlace(c.self.Name), c.selfPlace, "step %d: our place", step)
	}
}

func names(ms []*member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}
