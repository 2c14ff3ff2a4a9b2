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
//   - never an older payload of a key after a newer one: every member
//     keeps the latest broadcast of each origin, family and key (4,096 in
//     all, for some minutes) and delivers only later ones, ordered by the
//     sender's start time and then its broadcast order;
//   - the latest payload of every key, even where gossip lost it: the
//     periodic anti-entropy exchange (Config.SyncInterval) compares what
//     two members keep and pushes what differs. A payload dropped because
//     the handlers' queue was full (Stats.Undelivered) is not repaired.
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
