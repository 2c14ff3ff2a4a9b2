package swim_test

import (
	"errors"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Config.Admit refuses a member by what it announces (here an old
// metadata version): in a 10-member cluster the refused member is in no
// view after 30 s, is never probed, and the others are unaffected.
func TestAdmitRefusesAMember(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	refusals := 0
	cfg.Admit = func(m swim.Member) error {
		if string(m.Meta) == "v0" {
			refusals++
			return errors.New("version v0 is no longer supported")
		}
		return nil
	}
	c := swimtest.New(swimtest.Options{Config: cfg, Seed: 41})
	nodes := c.AddN(10)
	old := nodes[9]
	for _, n := range nodes {
		meta := "v1"
		if n == old {
			meta = "v0"
		}
		require.NoError(t, n.Core.UpdateMeta(c.Now(), []byte(meta)))
	}
	stop := c.Capture()
	c.JoinAll(nodes[0])
	c.Run(30 * time.Second)
	rest := nodes[:9]
	assert.True(t, c.AllSeeAlive(rest), "the admitted members do not all see each other")
	for _, n := range rest {
		_, known := n.Core.Member(old.Name)
		assert.False(t, known, "%s holds the refused member", n.Name)
	}
	assert.Zero(t, c.CountEvents(swim.EventJoined, old.Name), "joined events about the refused member")
	pings := 0
	for _, p := range stop() {
		if p.To != old.Addr {
			continue
		}
		msgs, err := wire.DecodePacket(p.Data, nil)
		require.NoError(t, err)
		for _, m := range msgs {
			if m.Type == wire.TypePing {
				pings++
			}
		}
	}
	assert.Zero(t, pings, "the refused member was probed")
	var refused uint64
	for _, n := range rest {
		refused += n.Core.Stats().AdmitRefused
	}
	assert.Positive(t, refused)
	assert.Zero(t, failedAbout(c, rest))
	t.Logf("refused %d times (%d calls to Admit said no); never probed", refused, refusals)
}
