package multi

import (
	"context"

	"github.com/memberlist-go/memberlist/runtime"
)

// PauseAll asks every member to pause. It calls generated code, which
// memberlist-gen must be able to regenerate even when it is stale or gone.
func PauseAll(ctx context.Context, n *runtime.Node, millis uint32) error {
	return BroadcastControl(ctx, n, Pause{Millis: millis})
}
