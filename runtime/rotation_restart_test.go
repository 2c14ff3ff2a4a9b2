package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
)

// restartRegistry stands for a headless service's DNS: the addresses of the
// members running now, found by every member's Discovery.
type restartRegistry struct {
	mu    sync.Mutex
	addrs map[string]netip.AddrPort
}

func (r *restartRegistry) Seeds(context.Context) ([]netip.AddrPort, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []netip.AddrPort
	for _, a := range r.addrs {
		out = append(out, a)
	}
	slices.SortFunc(out, netip.AddrPort.Compare)
	return out, nil
}

func (r *restartRegistry) set(name string, a netip.AddrPort) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a.IsValid() {
		r.addrs[name] = a
	} else {
		delete(r.addrs, name)
	}
}

// Keys rotate by rolling restarts, as on Kubernetes when the keys come
// from a Secret: the Secret holds "old,new", then "new,old", then "new",
// and after each change every member is restarted in turn (Leave, Close,
// Start with the Secret's keys at a new address), the next one only once
// the restarted member is ready (joined), as a readiness gate makes a
// rollout wait. Each keyring reads what the one before it sends, so no
// datagram is refused and no member is ever declared failed; the keyrings
// are those of TestKeyRotationTenNodes's steps, reached by restarts
// instead of InstallKey, UseKey and RemoveKey.
func TestKeyRotationByRollingRestarts(t *testing.T) {
	const size = 5
	oldKey, newKey := testKey("2025", 32), testKey("2026", 32)
	reg := &restartRegistry{addrs: map[string]netip.AddrPort{}}
	var failed atomic.Int64
	var failedAbout sync.Map
	var watchers sync.WaitGroup
	defer watchers.Wait()

	startMember := func(name string, keys [][]byte) *runtime.Node {
		cfg := fastConfig(name)
		secured("prod", keys...)(&cfg)
		cfg.Discovery = reg
		cfg.DiscoveryInterval = 500 * time.Millisecond
		n, err := runtime.Start(context.Background(), cfg)
		require.NoError(t, err)
		sub := n.Subscribe()
		watchers.Go(func() {
			for ev := range sub.C {
				if ev.Type == runtime.EventFailed {
					failed.Add(1)
					failedAbout.Store(ev.Member.Name, true)
				}
			}
		})
		reg.set(name, n.LocalMember().Addr)
		return n
	}
	nodes := make([]*runtime.Node, size)
	for i := range nodes {
		nodes[i] = startMember(fmt.Sprintf("m%d", i), [][]byte{oldKey})
	}
	defer func() {
		for _, n := range nodes {
			n.Close()
		}
	}()
	allNames := names(nodes)
	eventually(t, 20*time.Second, "the cluster formed", func() bool { return allAlive(nodes, allNames...) })

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, secret := range [][][]byte{{oldKey, newKey}, {newKey, oldKey}, {newKey}} {
		step := fmt.Sprintf("keys %x", secret)
		for i, n := range nodes {
			name := n.LocalMember().Name
			require.Zero(t, refused(n.Stats().Transport), "%s: %s refused datagrams: %+v", step, name, n.Stats().Transport)
			reg.set(name, netip.AddrPort{})
			require.NoError(t, n.Leave(ctx), "%s: %s leaves", step, name)
			n.Close()

			n = startMember(name, secret)
			nodes[i] = n
			select {
			case <-n.Joined():
			case <-ctx.Done():
				t.Fatalf("%s: restarted %s never ready", step, name)
			}
			addr := n.LocalMember().Addr
			eventually(t, 20*time.Second, step+": "+name+" alive everywhere at its new address", func() bool {
				return allSee(nodes, name, runtime.StateAlive, func(m runtime.Member) bool { return m.Addr == addr })
			})
		}
		for _, n := range nodes {
			require.True(t, slices.EqualFunc(n.Keys(), secret, bytes.Equal), "%s: %s has keys %x", step, n.LocalMember().Name, n.Keys())
		}
	}
	eventually(t, 20*time.Second, "all alive after the rotation", func() bool { return allAlive(nodes, allNames...) })
	for _, n := range nodes {
		require.Zero(t, refused(n.Stats().Transport), "%s refused datagrams: %+v", n.LocalMember().Name, n.Stats().Transport)
	}
	for _, n := range nodes {
		n.Close() // ends the subscriptions, so the watchers finish
	}
	watchers.Wait()
	var about []string
	failedAbout.Range(func(k, _ any) bool { about = append(about, k.(string)); return true })
	require.Zero(t, failed.Load(), "members declared failed during the rotation: %v", about)
}
