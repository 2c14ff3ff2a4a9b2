package swim

import (
	"slices"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// queue holds news waiting to be piggybacked, least-transmitted first.
// Items sit in buckets by transmit count, each bucket a list with the newest
// item in front, so picking the next items costs no sort and newer news
// about a member replaces the older item at once.
type queue struct {
	buckets []*item          // buckets[t]: items sent t times, newest first
	keyed   map[string]*item // protocol news by member name
	n       int
	// notAlive counts the items that are not alive news: accusations,
	// departures, user broadcasts; the rest are alive news, which tokens
	// ride with (see fillFor).
	notAlive int
}

// item is one encoded message (type byte and body) waiting to be sent.
type item struct {
	key        string
	msg        []byte
	tx         int
	extra      int    // sends past the queue's limit before the item leaves
	id         uint32 // a keyed user broadcast's id and epoch, for supersedes
	epoch      uint64
	prev, next *item
	onDone     func() // called once the item leaves the queue by being sent enough
}

// len is the number of queued items.
func (q *queue) len() int { return q.n }

// queued reports whether an item of the non-empty key waits in the queue.
func (q *queue) queued(key string) bool {
	_, ok := q.keyed[key]
	return key != "" && ok
}

// supersedes reports whether the broadcast (epoch, id) may replace the
// one queued under key: whether it is later (see later).
func (q *queue) supersedes(key string, epoch uint64, id uint32) bool {
	old, ok := q.keyed[key]
	return !ok || later(epoch, id, old.epoch, old.id)
}

// pushSent queues msg under the non-empty key as if sent tx times
// already: it leaves the queue after limit-tx more sends, and fresher news
// goes first.
func (q *queue) pushSent(key string, msg []byte, tx int) {
	it := q.push(key, msg, nil)
	q.detach(it)
	it.tx = tx
	q.link(it)
}

// pushMore queues msg under the non-empty key, to be sent extra times
// more than the limit fill is given.
func (q *queue) pushMore(key string, msg []byte, extra int) {
	q.push(key, msg, nil).extra = extra
}

// push queues msg; with a non-empty key it replaces queued news of that key.
func (q *queue) push(key string, msg []byte, onDone func()) *item {
	if key != "" {
		if q.keyed == nil {
			q.keyed = make(map[string]*item)
		}
		if old, ok := q.keyed[key]; ok {
			q.unlink(old)
		}
	}
	it := &item{key: key, msg: msg, onDone: onDone}
	q.link(it)
	if key != "" {
		q.keyed[key] = it
	}
	return it
}

// unlink takes it out of the queue for good.
func (q *queue) unlink(it *item) {
	q.detach(it)
	if it.key != "" && q.keyed[it.key] == it {
		delete(q.keyed, it.key)
	}
}

func (q *queue) link(it *item) {
	for len(q.buckets) <= it.tx {
		q.buckets = append(q.buckets, nil)
	}
	head := q.buckets[it.tx]
	it.prev, it.next = nil, head
	if head != nil {
		head.prev = it
	}
	q.buckets[it.tx] = it
	q.n++
	if !it.alive() {
		q.notAlive++
	}
}

// alive reports whether it is alive news: a join, a refutation or a
// metadata change.
func (it *item) alive() bool { return len(it.msg) > 0 && wire.Type(it.msg[0]) == wire.TypeAlive }

// detach takes it out of its bucket, leaving the key index alone.
func (q *queue) detach(it *item) {
	if it.prev != nil {
		it.prev.next = it.next
	} else {
		q.buckets[it.tx] = it.next
	}
	if it.next != nil {
		it.next.prev = it.prev
	}
	it.prev, it.next = nil, nil
	q.n--
	if !it.alive() {
		q.notAlive--
	}
}

// fill appends to b, least-transmitted first, as many items as fit within
// budget bytes in total, counting a transmission for each. Items that reach
// limit transmissions (plus their extra) leave the queue.
func (q *queue) fill(b []byte, budget, limit int) []byte {
	if q.n == 0 {
		return b
	}
	var taken [64]*item
	n, size := 0, len(b)
scan:
	for t := 0; t < len(q.buckets); t++ {
		misses := 0 // per bucket, so that big items in one cannot hide the next
		for it := q.buckets[t]; it != nil && misses < maxMisses; it = it.next {
			if budget-size < minMessageLen || n == len(taken) {
				break scan
			}
			if size+len(it.msg) > budget {
				misses++
				continue
			}
			size += len(it.msg)
			taken[n] = it
			n++
		}
	}
	// The packet grows once, to the size it will have: item by item it
	// was copied up to eight times, and grown to the whole budget at once
	// every packet cost a cleared 1.4 KB.
	b = slices.Grow(b, size-len(b))
	for _, it := range taken[:n] {
		b = append(b, it.msg...)
	}
	for _, it := range taken[:n] {
		if it.tx+1 >= limit+it.extra {
			q.unlink(it)
			if it.onDone != nil {
				it.onDone()
			}
			continue
		}
		q.detach(it)
		it.tx++
		q.link(it)
	}
	return b
}

const (
	// minMessageLen is the shortest message worth looking for room for.
	minMessageLen = 4
	// maxMisses bounds the items passed over for want of room in one fill,
	// so that filling a packet from a long queue stays cheap; the items
	// passed over get the next packet.
	maxMisses = 16
)
