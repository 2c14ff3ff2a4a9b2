package udp

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Who reads whom while encryption and a label are switched on: the steps
// of a Transition next to each other always read each other, so a rolling
// change never has two members that cannot talk; and what a step cannot
// read is refused and counted as usual.
func TestTransitionSteps(t *testing.T) {
	kr := keyring(t, key("k", 32))
	const old, new = "old", "new"
	steps := []struct {
		name    string
		cfg     Config
		sends   string
		accepts []string
	}{
		{"before", Config{Bind: "127.0.0.1:0"}, old, []string{old}},
		{"accept", Config{Bind: "127.0.0.1:0", Label: "prod", Keyring: kr, Transition: Transition{Phase: TransitionAccept}}, old, []string{old, new}},
		{"send", Config{Bind: "127.0.0.1:0", Label: "prod", Keyring: kr, Transition: Transition{Phase: TransitionSend}}, new, []string{old, new}},
		{"after", Config{Bind: "127.0.0.1:0", Label: "prod", Keyring: kr}, new, []string{new}},
	}
	trs := make([]*Transport, len(steps))
	ins := make([]<-chan packet, len(steps))
	for i, s := range steps {
		trs[i] = listen(t, s.cfg)
		ins[i] = collect(t, trs[i])
	}
	var previous [4]uint64
	for i, from := range steps {
		for j, to := range steps {
			if i == j {
				continue
			}
			msg := []byte(fmt.Sprintf("\x01%s to %s", from.name, to.name))
			refused := refusedTotal(trs[j].Stats())
			require.NoError(t, trs[i].WriteBatch([]Packet{{To: trs[j].LocalAddr(), Bytes: msg}}))
			if !slices.Contains(to.accepts, from.sends) {
				waitFor(t, from.name+" refused by "+to.name, func() bool { return refusedTotal(trs[j].Stats()) == refused+1 })
				continue
			}
			assert.Equal(t, msg, receive(t, ins[j]).data)
			if len(to.accepts) == 2 && from.sends == old {
				previous[j]++
			}
			if j-i == 1 || i-j == 1 {
				assert.Contains(t, to.accepts, from.sends, "neighbouring steps read each other")
			}
		}
	}
	for j := range steps {
		assert.Equal(t, previous[j], trs[j].Stats().Previous, "%s: datagrams of the previous framing", steps[j].name)
	}
	assert.Equal(t, [4]uint64{0, 1, 2, 0}, previous, "accept reads the previous framing from before; send from before and accept")
}

func refusedTotal(s Stats) uint64 {
	return s.BadFrame + s.BadVersion + s.BadLabel + s.BadChecksum + s.Unencrypted + s.DecryptFailed + s.Replayed + s.Stale
}

// A label switched on in an encrypted cluster: the previous framing is
// encrypted, without the label.
func TestTransitionLabelOnly(t *testing.T) {
	kr := keyring(t, key("k", 16))
	old := listen(t, Config{Bind: "127.0.0.1:0", Keyring: kr})
	mid := listen(t, Config{Bind: "127.0.0.1:0", Keyring: kr, Label: "prod", Transition: Transition{Phase: TransitionAccept, FromEncrypted: true}})
	inOld, inMid := collect(t, old), collect(t, mid)
	require.NoError(t, mid.WriteTo([]byte("\x01to old"), old.LocalAddr()))
	require.NoError(t, old.WriteTo([]byte("\x01to mid"), mid.LocalAddr()))
	assert.Equal(t, "\x01to old", string(receive(t, inOld).data))
	assert.Equal(t, "\x01to mid", string(receive(t, inMid).data))
	assert.Equal(t, uint64(1), mid.Stats().Previous)
}

func TestTransitionConfigErrors(t *testing.T) {
	kr := keyring(t, key("k", 16))
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown phase", Config{Keyring: kr, Transition: Transition{Phase: "later"}}, "Transition.Phase"},
		{"nothing switched", Config{Label: "prod", Transition: Transition{Phase: TransitionSend, FromLabel: "prod"}}, "same framing"},
		{"encrypted before, without keys", Config{Label: "x", Transition: Transition{Phase: TransitionSend, FromEncrypted: true}}, "FromEncrypted"},
		{"bad label before", Config{Keyring: kr, Transition: Transition{Phase: TransitionSend, FromLabel: "\xff"}}, "FromLabel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Bind = "127.0.0.1:0"
			_, err := Listen(t.Context(), tc.cfg)
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
