package runtime_test

import (
	"context"
	"crypto/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
	"github.com/memberlist-go/memberlist/runtime/stream"
)

// udpCutPair starts two members whose datagrams are sealed with a shared
// key and whose streams use mutual TLS, lets them join, and then cuts UDP
// between them for real: b moves to a key a does not hold and drops a's,
// so every datagram either way is refused by the receiver's transport,
// while streams, which TLS protects, still connect. Loopback cannot drop
// UDP alone without a network namespace (the e2e test does that); a key
// the other side lacks does it with real sockets and no test hook.
func udpCutPair(t *testing.T, disable bool) (a, b *runtime.Node) {
	t.Helper()
	ca := newTestCA(t)
	k1, k2 := make([]byte, 32), make([]byte, 32)
	_, _ = rand.Read(k1)
	_, _ = rand.Read(k2)
	cfg := func(name string, seeds ...string) runtime.Config {
		c := runtime.DefaultLocalConfig()
		c.Name = name
		c.BindAddr = "127.0.0.1:0"
		c.Keys = [][]byte{k1}
		c.TLS = ca.tlsConfig(t, name)
		// One member, so no confirmations: the longest suspicion timeout
		// applies; keep it short so that the control case ends soon.
		c.SuspicionMult = 1
		c.SuspicionMaxTimeoutMult = 2
		c.DisableTCPProbe = disable
		if len(seeds) > 0 {
			c.Discovery = discovery.Static(seeds...)
		}
		return c
	}
	a = start(t, cfg("probe-a"))
	b = start(t, cfg("probe-b", a.LocalMember().Addr.String()))
	eventually(t, 10*time.Second, "joined", func() bool { return countAlive(a) == 2 && countAlive(b) == 2 })

	ctx := context.Background()
	require.NoError(t, b.InstallKey(ctx, k2))
	require.NoError(t, b.UseKey(ctx, k2))
	require.NoError(t, b.RemoveKey(ctx, k1))
	return a, b
}

// memberState returns the state in which n holds the member named name.
func memberState(n *runtime.Node, name string) runtime.State {
	for _, m := range n.Members() {
		if m.Name == name {
			return m.State
		}
	}
	return 0
}

// With UDP cut both ways and TCP open, each member's probes of the other
// are answered over streams: neither suspects the other, and the
// fallback counters rise.
func TestTCPProbeKeepsUDPCutMemberAlive(t *testing.T) {
	a, b := udpCutPair(t, false)
	start := a.Stats()
	eventually(t, 30*time.Second, "five probes answered over TCP", func() bool {
		require.Equal(t, runtime.StateAlive, memberState(a, "probe-b"), "a lost b")
		require.Equal(t, runtime.StateAlive, memberState(b, "probe-a"), "b lost a")
		return a.Stats().Protocol.StreamProbeAcks >= start.Protocol.StreamProbeAcks+5
	})
	sa, sb := a.Stats(), b.Stats()
	t.Logf("a: %d stream probes, %d answered; b: %d, %d; UDP refused by b: %d",
		sa.Protocol.StreamProbes, sa.Protocol.StreamProbeAcks, sb.Protocol.StreamProbes, sb.Protocol.StreamProbeAcks, sb.Transport.DecryptFailed)
	assert.Equal(t, start.Protocol.Suspicions, sa.Protocol.Suspicions, "a suspected b")
	assert.Positive(t, sb.Transport.DecryptFailed, "UDP was not cut")
	assert.Positive(t, sb.Protocol.StreamProbeAcks, "b's probes of a were not answered over TCP")
	assert.Zero(t, sa.Stream.TLSFailed+sb.Stream.TLSFailed)
}

// The same cut with the fallback turned off: UDP alone decides, and each
// declares the other failed. This shows the test above can fail.
func TestTCPProbeDisabled(t *testing.T) {
	a, _ := udpCutPair(t, true)
	eventually(t, 30*time.Second, "b declared failed", func() bool { return memberState(a, "probe-b") == runtime.StateDead })
	assert.Zero(t, a.Stats().Protocol.StreamProbes)
}

// A stream probe is answered by the member it names, at once, whoever
// asks (as a ping is): one byte for a request of at least one. It names
// another member: refused.
func TestTCPProbeAnswer(t *testing.T) {
	cfg := runtime.DefaultLocalConfig()
	cfg.Name = "answerer"
	cfg.BindAddr = "127.0.0.1:0"
	n := start(t, cfg)
	caller, err := stream.Listen(context.Background(), stream.Config{Bind: netip.MustParseAddrPort("127.0.0.1:0")})
	require.NoError(t, err)
	defer caller.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := caller.Call(ctx, n.LocalMember().Addr, []byte{3}, []byte("answerer"))
	require.NoError(t, err)
	assert.Equal(t, []byte{0}, reply, "status OK")
	reply, err = caller.Call(ctx, n.LocalMember().Addr, []byte{3}, []byte("someone-else"))
	require.NoError(t, err)
	assert.Equal(t, []byte{6}, reply, "status: another member")
	assert.Zero(t, n.Stats().StreamNotMember, "a probe needs no membership")
}
