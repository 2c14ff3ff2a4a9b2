package swim_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
	"github.com/stretchr/testify/require"
)

// Properties that must hold in every run, checked over many seeds of short
// runs with random loss up to 20%, crashes, partitions and restarts:
//
//   - an incarnation never decreases in any view;
//   - the digest's running sum matches the view it sums;
//   - once the network heals and settles, every running member's view holds
//     exactly the running members as alive, so no running member is failed.
func TestProperties(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 20
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			require.NoError(t, propertyRun(seed))
		})
	}
}

// propertyRun runs one random scenario and returns the first violation.
func propertyRun(seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 42))
	cfg := swim.DefaultLANConfig()
	c := swimtest.New(swimtest.Options{Config: cfg, Seed: seed})
	nodes := c.AddN(6 + rng.IntN(14))
	c.JoinAll(nodes[0])

	incs := newIncarnationWatch()
	var violation error
	check := func() {
		if violation == nil {
			violation = incs.check(c)
		}
		for _, n := range c.Up() {
			if err := swim.DigestDrift(n.Core); violation == nil && err != nil {
				violation = err
			}
		}
	}
	runFor := func(d time.Duration) {
		for end := c.Elapsed() + d; c.Elapsed() < end && violation == nil; {
			c.Run(500 * time.Millisecond)
			check()
		}
	}
	runFor(10 * time.Second)

	// Faults: a few random steps of 5 to 20 seconds each.
	for step := 0; step < 4+rng.IntN(5); step++ {
		c.SetDefaultLink(swimtest.Link{Delay: time.Millisecond, Jitter: 3 * time.Millisecond, Loss: 0.2 * rng.Float64()})
		switch rng.IntN(4) {
		case 0: // crash one running member (keep at least two running)
			if up := c.Up(); len(up) > 2 {
				c.Crash(up[rng.IntN(len(up))])
			}
		case 1: // partition at a random cut
			perm := rng.Perm(len(nodes))
			cut := 1 + rng.IntN(len(nodes)-1)
			var a []*swimtest.Node
			for _, i := range perm[:cut] {
				a = append(a, nodes[i])
			}
			c.Partition(a)
		case 2: // heal
			c.Heal()
		case 3: // restart a crashed member, at a new address half the time
			for _, n := range nodes {
				if !n.Up {
					c.Restart(n, rng.IntN(2) == 0)
					incs.forget(n)
					up := others(c.Up(), n)
					c.Join(n, up[rng.IntN(len(up))])
					break
				}
			}
		}
		runFor(time.Duration(5+rng.IntN(16)) * time.Second)
	}

	// Heal everything and let it settle: long enough for a crashed member's
	// longest suspicion and for reconnection across a healed partition.
	c.Heal()
	c.SetDefaultLink(swimtest.Link{Delay: time.Millisecond, Jitter: 3 * time.Millisecond})
	runFor(3 * time.Minute)
	if violation != nil {
		return violation
	}
	up := c.Up()
	want := make(map[string]netip.AddrPort)
	for _, n := range up {
		want[n.Name] = n.Addr
	}
	for _, v := range up {
		for _, m := range v.Core.Members() {
			addr, running := want[m.Name]
			switch {
			case running && m.State != swim.StateAlive:
				return fmt.Errorf("after settling, %s holds running member %s as %s", v.Name, m.Name, m.State)
			case running && m.Addr != addr:
				return fmt.Errorf("after settling, %s holds %s at %v, want %v", v.Name, m.Name, m.Addr, addr)
			case !running && m.State == swim.StateAlive:
				return fmt.Errorf("after settling, %s holds crashed member %s alive", v.Name, m.Name)
			}
		}
		if alive, _, _, _ := v.Core.NumMembers(); alive != len(up) {
			return fmt.Errorf("after settling, %s holds %d alive, want %d", v.Name, alive, len(up))
		}
	}
	return nil
}

// incarnationWatch remembers the highest incarnation each view has held for
// each member, to catch one going down.
type incarnationWatch struct {
	seen map[[2]string]uint64 // (viewer, member) -> incarnation
}

func newIncarnationWatch() *incarnationWatch {
	return &incarnationWatch{seen: make(map[[2]string]uint64)}
}

// forget drops what a restarted member's previous life saw.
func (w *incarnationWatch) forget(viewer *swimtest.Node) {
	for k := range w.seen {
		if k[0] == viewer.Name {
			delete(w.seen, k)
		}
	}
}

func (w *incarnationWatch) check(c *swimtest.Cluster) error {
	for _, v := range c.Up() {
		for _, m := range v.Core.Members() {
			k := [2]string{v.Name, m.Name}
			if prev, ok := w.seen[k]; ok && m.Incarnation < prev {
				return fmt.Errorf("at %v %s's view of %s went from incarnation %d to %d", c.Elapsed(), v.Name, m.Name, prev, m.Incarnation)
			}
			w.seen[k] = m.Incarnation
		}
	}
	return nil
}
