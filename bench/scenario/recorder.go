package scenario

import (
	"sync"
	"time"

	"github.com/memberlist-go/memberlist/bench/cluster"
)

// Recorder collects the failed and left declarations of every member of a
// trial. It keeps what the counts need, not every event: a collapsing
// cluster makes thousands.
type Recorder struct {
	mu      sync.Mutex
	gone    []declaration
	gaps    int
	watches map[string]*watch
}

type declaration struct {
	at      time.Time
	subject string
}

// watch follows the declarations about one crashed member.
type watch struct {
	since       time.Time
	observers   map[string]bool
	first, last time.Time
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{watches: make(map[string]*watch)}
}

// Record takes one event; pass it as cluster.Options.OnEvent.
func (r *Recorder) Record(ev cluster.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ev.Kind == cluster.Gap {
		r.gaps++
		return
	}
	r.gone = append(r.gone, declaration{at: ev.At, subject: ev.Subject})
	w := r.watches[ev.Subject]
	if w == nil || ev.At.Before(w.since) || w.observers[ev.Observer] {
		return
	}
	w.observers[ev.Observer] = true
	if w.first.IsZero() || ev.At.Before(w.first) {
		w.first = ev.At
	}
	if ev.At.After(w.last) {
		w.last = ev.At
	}
}

// Gaps counts the observers that lost events.
func (r *Recorder) Gaps() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gaps
}

// Declarations counts the failed or left declarations made in [from, to)
// about members for which running reports true.
func (r *Recorder) Declarations(from, to time.Time, running func(subject string) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, d := range r.gone {
		if !d.at.Before(from) && d.at.Before(to) && running(d.subject) {
			n++
		}
	}
	return n
}

// Watch starts following the declarations about subject made from since
// on; call it before crashing the subject.
func (r *Recorder) Watch(subject string, since time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.watches[subject] = &watch{since: since, observers: make(map[string]bool)}
}

// Detections reports how many distinct members declared a watched subject
// gone, and when the first and the last of them did.
func (r *Recorder) Detections(subject string) (n int, first, last time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.watches[subject]
	if w == nil {
		return 0, time.Time{}, time.Time{}
	}
	return len(w.observers), w.first, w.last
}
