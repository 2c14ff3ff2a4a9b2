package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With nothing changed, a flush publishes nothing and allocates nothing:
// it runs after every input, and a fresh view per flush was most of what
// the runtime allocated in a process of a thousand members.
func TestUnchangedCountsPublishNothing(t *testing.T) {
	cfg := DefaultLocalConfig()
	cfg.Name, cfg.BindAddr = "a", "127.0.0.1:0"
	ctx := context.Background()
	n, err := Start(ctx, cfg)
	require.NoError(t, err)
	defer n.Close()
	var allocs float64
	require.NoError(t, n.do(ctx, func(time.Time) {
		n.publishCounts(n.view.Load(), n.view.Load().counts, n.refutations)
		cur := n.view.Load()
		allocs = testing.AllocsPerRun(20, func() { n.publishCounts(cur, cur.counts, n.refutations) })
		assert.Same(t, cur, n.view.Load(), "an unchanged view was published again")
	}))
	assert.Zero(t, allocs)
}
