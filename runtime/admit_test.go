package runtime_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// AllowedCIDRs over loopback: members on 127.0.0.1 admit each other, and
// refuse one on 127.0.0.2, which stays out of every member list; the
// refusal is counted by reason.
func TestAllowedCIDRs(t *testing.T) {
	allowed := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	cfg := func(name, bind string) runtime.Config {
		c := fastConfig(name)
		c.BindAddr = bind
		c.AllowedCIDRs = allowed
		return c
	}
	a := start(t, cfg("a", "127.0.0.1:0"))
	seed := discovery.Static(a.LocalMember().Addr.String())
	bc := cfg("b", "127.0.0.1:0")
	bc.Discovery = seed
	b := start(t, bc)
	xc := cfg("x", "127.0.0.2:0")
	xc.Discovery = seed
	x := start(t, xc)
	nodes := []*runtime.Node{a, b}
	eventually(t, 5*time.Second, "a and b see each other", func() bool {
		return allSee(nodes, "a", runtime.StateAlive, nil) && allSee(nodes, "b", runtime.StateAlive, nil)
	})
	eventually(t, 10*time.Second, "a refuses x", func() bool { return a.Stats().Protocol.AdmitRefused > 0 })
	for _, n := range nodes {
		for _, m := range n.Members() {
			assert.NotEqual(t, "x", m.Name, "x, outside AllowedCIDRs, is a member")
		}
	}
	reasons := a.Stats().AdmitRefused
	require.Len(t, reasons, 1)
	for r := range reasons {
		assert.True(t, strings.Contains(r, "outside AllowedCIDRs"), r)
	}
	_ = x
}

func TestAllowedCIDRsFromEnv(t *testing.T) {
	cfg, err := runtime.ConfigFromEnviron([]string{"MEMBERLIST_NAME=n", "MEMBERLIST_ALLOWED_CIDRS=10.0.0.0/8, fd00::/8"})
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}, cfg.AllowedCIDRs)
	_, err = runtime.ConfigFromEnviron([]string{"MEMBERLIST_NAME=n", "MEMBERLIST_ALLOWED_CIDRS=10.0.0.0/8,10.1.2.3,fd00::/8"})
	require.ErrorIs(t, err, runtime.ErrInvalidConfig)
	assert.Contains(t, err.Error(), `entry 2 "10.1.2.3"`)
}
