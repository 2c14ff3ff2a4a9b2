package runtime_test

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// silentAddr is the address of a UDP socket on loopback that reads nothing
// and answers nothing: a member that has hung, or a stale seed whose port
// another program holds. The socket stays bound for the test, so nothing
// else answers there either.
func silentAddr(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c.LocalAddr().String()
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func TestJoinCountsTheAddressesThatAnswered(t *testing.T) {
	a := start(t, fastConfig("a"))
	b := start(t, fastConfig("b"))
	c := start(t, fastConfig("c"))
	dead := silentAddr(t)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := c.Join(ctx, a.LocalMember().Addr.String(), dead)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "one good and one dead address")
	assert.True(t, allSee([]*runtime.Node{a, c}, "c", runtime.StateAlive, nil))

	// Both good: both answer (a is already a member, b is contacted).
	n, err = c.Join(ctx, a.LocalMember().Addr.String(), b.LocalMember().Addr.String())
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	eventually(t, 5*time.Second, "b and c see each other", func() bool {
		return allSee([]*runtime.Node{b, c}, "b", runtime.StateAlive, nil) && allSee([]*runtime.Node{b, c}, "c", runtime.StateAlive, nil)
	})
}

func TestJoinResolvesHostNames(t *testing.T) {
	a := start(t, fastConfig("a"))
	b := start(t, fastConfig("b"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// localhost may also resolve to ::1, where nobody listens.
	n, err := b.Join(ctx, "localhost:"+strconv.Itoa(int(a.LocalMember().Addr.Port())))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.True(t, isClosed(b.Joined()))
}

func TestJoinFailsWhenNoneAnswered(t *testing.T) {
	c := start(t, fastConfig("c"))
	d1, d2 := silentAddr(t), silentAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	n, err := c.Join(ctx, d1, d2)
	assert.Equal(t, 0, n)
	require.ErrorIs(t, err, runtime.ErrNotJoined)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), d1)
	assert.Contains(t, err.Error(), d2)
	assert.False(t, isClosed(c.Joined()))

	// Nothing to contact: refused at once, whatever ctx allows.
	self := c.LocalMember().Addr.String()
	_, err = c.Join(context.Background(), self)
	require.ErrorIs(t, err, runtime.ErrNotJoined)
	assert.Contains(t, err.Error(), "own")
	_, err = c.Join(context.Background(), "no-such-host.invalid:7946")
	require.ErrorIs(t, err, runtime.ErrNotJoined)
	assert.Contains(t, err.Error(), "no-such-host.invalid")
	_, err = c.Join(context.Background(), "10.0.0.1:99999")
	require.ErrorIs(t, err, discovery.ErrInvalidConfig)
}

func TestJoinedClosesWithinASecondOfTheFirstAnswer(t *testing.T) {
	a := start(t, fastConfig("a"))
	b := start(t, fastConfig("b"))
	require.False(t, isClosed(a.Joined()), "a alone has not joined")
	require.False(t, isClosed(b.Joined()), "b alone has not joined")
	sub := b.Subscribe()
	defer sub.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := b.Join(ctx, a.LocalMember().Addr.String())
		errc <- err
	}()
	// The first answer is the sync reply that makes a a member of b's
	// view: the event is published in the same loop turn.
	var answered time.Time
	for answered.IsZero() {
		select {
		case ev := <-sub.C:
			if ev.Member.Name == "a" && ev.Type == runtime.EventJoined {
				answered = time.Now()
			}
		case <-ctx.Done():
			t.Fatal("a never answered")
		}
	}
	select {
	case <-b.Joined():
		t.Logf("Joined closed %v after the first answer", time.Since(answered))
	case <-time.After(time.Second):
		t.Fatal("Joined not closed within a second of the first answer")
	}
	require.NoError(t, <-errc)
	// a was joined by b: it holds another alive member too.
	eventually(t, 5*time.Second, "a's Joined closed", func() bool { return isClosed(a.Joined()) })
}

func TestStartWithJoinTimeout(t *testing.T) {
	t.Run("no seed answers: fails naming the seeds", func(t *testing.T) {
		d1, d2 := silentAddr(t), silentAddr(t)
		cfg := fastConfig("lonely")
		cfg.Discovery = discovery.Static(d1, d2)
		cfg.JoinTimeout = 500 * time.Millisecond
		began := time.Now()
		n, err := runtime.Start(context.Background(), cfg)
		took := time.Since(began)
		require.Nil(t, n)
		require.ErrorIs(t, err, runtime.ErrNotJoined)
		assert.Contains(t, err.Error(), d1)
		assert.Contains(t, err.Error(), d2)
		assert.Contains(t, err.Error(), "JoinTimeout 500ms")
		assert.Less(t, took, 5*time.Second, "Start waits about JoinTimeout, not the join backoff")
		t.Log(err)
	})
	t.Run("discovery fails: fails with the lookup's error", func(t *testing.T) {
		cfg := fastConfig("lonely")
		cfg.Discovery = discovery.Static("no-such-host.invalid:7946")
		cfg.JoinTimeout = 300 * time.Millisecond
		_, err := runtime.Start(context.Background(), cfg)
		require.ErrorIs(t, err, runtime.ErrNotJoined)
		assert.Contains(t, err.Error(), "no-such-host.invalid")
		t.Log(err)
	})
	t.Run("a seed answers: Start returns joined", func(t *testing.T) {
		a := start(t, fastConfig("a"))
		cfg := fastConfig("b")
		cfg.Discovery = discovery.Static(a.LocalMember().Addr.String())
		cfg.JoinTimeout = 10 * time.Second
		b := start(t, cfg)
		assert.True(t, isClosed(b.Joined()))
		assert.NoError(t, b.Ready())
	})
	t.Run("JoinTimeout needs Discovery", func(t *testing.T) {
		cfg := fastConfig("a")
		cfg.JoinTimeout = time.Second
		_, err := runtime.Start(context.Background(), cfg)
		require.ErrorIs(t, err, runtime.ErrInvalidConfig)
		assert.Contains(t, err.Error(), "JoinTimeout")
	})
}

func TestReadyFollowsJoinAndLeave(t *testing.T) {
	a := start(t, fastConfig("a"))
	b := start(t, fastConfig("b"))
	require.ErrorIs(t, b.Ready(), runtime.ErrNotJoined)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := b.Join(ctx, a.LocalMember().Addr.String())
	require.NoError(t, err)
	require.NoError(t, b.Ready())
	eventually(t, 5*time.Second, "a ready", func() bool { return a.Ready() == nil })

	require.NoError(t, b.Leave(ctx))
	require.ErrorIs(t, b.Ready(), runtime.ErrLeft)
	_, err = b.Join(ctx, a.LocalMember().Addr.String())
	require.ErrorIs(t, err, runtime.ErrLeft)
	b.Close()
	require.ErrorIs(t, b.Ready(), runtime.ErrClosed)
	// a stays ready once joined, though it is alone again: Ready means
	// "has joined and not left", so that the last member of a shrinking
	// cluster is not taken out of service.
	require.NoError(t, a.Ready())
}

// A Metrics that blocks wedges the loop, as a bug in the application's
// exporter would: Healthy then fails within its context, and Ready still
// answers.
type blockingMetrics struct {
	entered chan struct{}
	release chan struct{}
}

func (m blockingMetrics) Observe(runtime.Stats) {
	select {
	case m.entered <- struct{}{}:
	default:
	}
	<-m.release
}

func TestHealthyFailsWhenTheLoopIsStuck(t *testing.T) {
	m := blockingMetrics{entered: make(chan struct{}, 1), release: make(chan struct{})}
	cfg := fastConfig("a")
	cfg.Metrics = m
	a := start(t, cfg)
	require.NoError(t, a.Healthy(context.Background()))

	<-m.entered // the loop is now stuck in Observe
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	err := a.Healthy(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(began), 5*time.Second)
	require.ErrorIs(t, a.Ready(), runtime.ErrNotJoined, "Ready answers without the loop")

	close(m.release)
	require.NoError(t, a.Healthy(context.Background()))
	a.Close()
	require.ErrorIs(t, a.Healthy(context.Background()), runtime.ErrClosed)
}

// The addresses Join reports are addresses, not names: an IPv6 loopback
// seed is counted like any other.
func TestJoinOverIPv6Loopback(t *testing.T) {
	probe, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	probe.Close()
	cfgA, cfgB := fastConfig("a"), fastConfig("b")
	cfgA.BindAddr, cfgB.BindAddr = "[::1]:0", "[::1]:0"
	a, b := start(t, cfgA), start(t, cfgB)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := b.Join(ctx, a.LocalMember().Addr.String())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.True(t, a.LocalMember().Addr.Addr().Is6())
	assert.Equal(t, netip.MustParseAddr("::1"), a.LocalMember().Addr.Addr())
}
