// Package timeq is a queue of values by due time, earliest first, and in
// the order pushed among equal times, which keeps the protocol core and the
// simulator deterministic. It is written out rather than built on
// container/heap to avoid boxing every value in an interface.
package timeq

import "time"

// Queue holds values by due time. The zero value is empty and ready.
type Queue[T any] struct {
	items []entry[T]
	order uint64
}

type entry[T any] struct {
	at    time.Time
	order uint64
	v     T
}

// Len is the number of values queued.
func (q *Queue[T]) Len() int { return len(q.items) }

// Next returns the earliest due time; ok is false when the queue is empty.
func (q *Queue[T]) Next() (at time.Time, ok bool) {
	if len(q.items) == 0 {
		return time.Time{}, false
	}
	return q.items[0].at, true
}

// Push queues v, due at at.
func (q *Queue[T]) Push(at time.Time, v T) {
	q.order++
	q.items = append(q.items, entry[T]{at: at, order: q.order, v: v})
	h := q.items
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !less(&h[i], &h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

// Pop removes and returns the earliest value and its due time. The queue
// must not be empty.
func (q *Queue[T]) Pop() (time.Time, T) {
	h := q.items
	e := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = entry[T]{}
	h = h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && less(&h[l], &h[m]) {
			m = l
		}
		if r < len(h) && less(&h[r], &h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	q.items = h
	return e.at, e.v
}

func less[T any](a, b *entry[T]) bool {
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.order < b.order
}
