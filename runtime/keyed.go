package runtime

import (
	"context"
	"encoding/binary"
	"time"
)

// BroadcastKeyed is Broadcast for a message that supersedes the earlier
// ones of its family and key, as a new value of a cache entry supersedes
// the old: it replaces the broadcast of that family and key this node
// queued before and has not yet sent as often as every broadcast is sent.
// The members that pass it on do the same with the older ones they hold,
// so however fast a key changes, the cluster carries about one broadcast
// per key, and the latest value reaches every member. ErrQueueFull comes
// only when 1,024 broadcasts of other keys (or unkeyed ones) wait.
//
// What a member receives:
//   - every broadcast it receives is delivered once, to the handlers of
//     family, like any other; a replaced one is never sent again, so
//     members it had not reached never see it;
//   - a newer payload of a key is delivered even to a member that
//     delivered an older one (each broadcast has an id of its own);
//   - the order is best effort: a member may deliver an older payload of a
//     key after a newer one that reached it first by another way. An
//     application that needs the latest value carries a version (a
//     counter, a timestamp) in its payload and keeps the highest.
//
// Keys of different families never replace each other. The key travels
// as a 64-bit hash (FNV-1a), so its length costs nothing on the wire;
// two keys of one family whose hashes agree (about one pair in 10^7 among
// a million keys) replace each other.
func (n *Node) BroadcastKeyed(ctx context.Context, family uint32, key string, payload []byte) error {
	b, err := frame(family, payload)
	if err != nil {
		return err
	}
	k := make([]byte, familyLen, familyLen+len(key))
	binary.BigEndian.PutUint32(k, family)
	k = append(k, key...)
	var berr error
	if e := n.do(ctx, func(now time.Time) { berr = n.core.BroadcastKeyed(now, string(k), b) }); e != nil {
		return e
	}
	if berr == nil {
		n.meters.sent(family, true)
	}
	return publicError(berr)
}
