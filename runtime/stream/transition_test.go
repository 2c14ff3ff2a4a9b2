package stream

import (
	"context"
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Switching sealing and a label on in a running cluster, a node at a time
// (see Transition): at every step each node still talks to every node of
// the step before and after, and Stats.Previous counts the connections
// accepted in the old framing.
func TestTransitionSealingOn(t *testing.T) {
	k := keys{testKey(7, 32)}
	nodes := map[string]Config{
		"old":    {},
		"accept": {Keys: k, Label: "new", Transition: Transition{Phase: TransitionAccept}},
		"send":   {Keys: k, Label: "new", Transition: Transition{Phase: TransitionSend}},
		"final":  {Keys: k, Label: "new"},
	}
	checkTransition(t, nodes, map[[2]string]bool{
		// Step 1: old and accept-phase nodes side by side.
		{"old", "accept"}: true, {"accept", "old"}: true,
		// Step 2: accept- and send-phase nodes.
		{"accept", "send"}: true, {"send", "accept"}: true,
		// Step 3: send-phase and final nodes.
		{"send", "final"}: true, {"final", "send"}: true,
		// Not neighbours: a node two steps ahead cannot be read.
		{"send", "old"}: false, {"accept", "final"}: false,
		{"old", "final"}: false, {"final", "old"}: false,
		// A send-phase node still accepts an old one.
		{"old", "send"}: true,
	}, map[string]uint64{"accept": 1, "send": 2})
}

// The label alone changes on a sealed cluster (FromEncrypted).
func TestTransitionLabelOnSealed(t *testing.T) {
	k := keys{testKey(9, 32)}
	nodes := map[string]Config{
		"old":    {Keys: k, Label: "blue"},
		"accept": {Keys: k, Label: "green", Transition: Transition{Phase: TransitionAccept, FromLabel: "blue", FromEncrypted: true}},
		"send":   {Keys: k, Label: "green", Transition: Transition{Phase: TransitionSend, FromLabel: "blue", FromEncrypted: true}},
		"final":  {Keys: k, Label: "green"},
	}
	checkTransition(t, nodes, map[[2]string]bool{
		{"old", "accept"}: true, {"accept", "old"}: true,
		{"accept", "send"}: true, {"send", "accept"}: true,
		{"send", "final"}: true, {"final", "send"}: true,
		{"send", "old"}: false, {"old", "final"}: false,
	}, map[string]uint64{"accept": 1, "send": 1})
}

// checkTransition starts a transport per config and makes each call of
// calls (dialer, acceptor), which must succeed or fail as given; then
// each acceptor's Stats.Previous must be as in previous (zero if absent).
func checkTransition(t *testing.T, cfgs map[string]Config, calls map[[2]string]bool, previous map[string]uint64) {
	t.Helper()
	trs := map[string]*Transport{}
	for name, cfg := range cfgs {
		tr := listen(t, cfg)
		tr.Start((&recorder{}).handle)
		trs[name] = tr
	}
	ctx := context.Background()
	for c, ok := range calls {
		reply, err := trs[c[0]].Call(ctx, trs[c[1]].AdvertiseAddr(), []byte("hi"))
		if ok {
			if assert.NoError(t, err, "%s dials %s", c[0], c[1]) {
				assert.Equal(t, "ok", string(reply))
			}
		} else {
			assert.Error(t, err, "%s dials %s", c[0], c[1])
		}
	}
	for name, tr := range trs {
		assert.Equal(t, previous[name], tr.Stats().Previous, "%s: connections accepted in the previous framing", name)
	}
}

// A Transition that cannot work is refused at Listen.
func TestTransitionInvalid(t *testing.T) {
	k := keys{testKey(7, 32)}
	for name, cfg := range map[string]Config{
		"unknown phase":            {Keys: k, Transition: Transition{Phase: "later"}},
		"same framing":             {Label: "x", Transition: Transition{Phase: TransitionAccept, FromLabel: "x"}},
		"same sealed framing":      {Keys: k, Label: "x", Transition: Transition{Phase: TransitionSend, FromLabel: "x", FromEncrypted: true}},
		"FromEncrypted, no keys":   {Label: "y", Transition: Transition{Phase: TransitionAccept, FromLabel: "x", FromEncrypted: true}},
		"TLS":                      {TLS: &tls.Config{Certificates: []tls.Certificate{{}}}, Transition: Transition{Phase: TransitionAccept, FromLabel: "x"}},
		"FromLabel over the limit": {Keys: k, Transition: Transition{Phase: TransitionAccept, FromLabel: string(make([]byte, MaxLabelLen+1))}},
	} {
		cfg.Bind = loopback
		_, err := Listen(context.Background(), cfg)
		require.ErrorIs(t, err, ErrInvalidConfig, name)
	}
}
