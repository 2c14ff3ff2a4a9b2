package scenario

import (
	"context"
	"time"
)

// Probe is one trial of the search for the largest healthy N.
type Probe struct {
	// N is the number of members tried.
	N int
	// Healthy reports whether the trial met S4's criterion.
	Healthy bool
	// Result is what the trial measured; zero if it failed to run.
	Result Result
	// Err is why the trial failed to run, if it did.
	Err string
}

// SearchResult is the outcome of FindLargest.
type SearchResult struct {
	// Largest is the largest N found healthy; 0 if none was.
	Largest int
	// SmallestUnhealthy is the smallest N found unhealthy above Largest;
	// 0 if none was (the search stopped at its limit or its deadline).
	SmallestUnhealthy int
	// Capped reports whether the deadline cut the search short.
	Capped bool
	// Probes are the trials, in order.
	Probes []Probe
}

// Search bounds FindLargest.
type Search struct {
	// Start is the first N tried.
	Start int
	// Limit is the largest N tried.
	Limit int
	// Precision stops the bisection once the smallest unhealthy N is at
	// most (1+Precision) times the largest healthy one.
	Precision float64
	// Deadline is when no new trial starts; with Cost set, no trial
	// starts that would end after it.
	Deadline time.Time
	// Cost, if set, is the longest a trial of n members can take.
	Cost func(n int) time.Duration
}

// FindLargest searches for the largest N for which probe reports a healthy
// trial: it doubles N from s.Start while trials are healthy (halving if the
// first is not), then bisects between the largest healthy and the smallest
// unhealthy N.
func FindLargest(ctx context.Context, s Search, probe func(ctx context.Context, n int) (Result, error)) SearchResult {
	var out SearchResult
	try := func(n int) (healthy, ok bool) {
		end := time.Now()
		if s.Cost != nil {
			end = end.Add(s.Cost(n))
		}
		if ctx.Err() != nil || !end.Before(s.Deadline) {
			out.Capped = true
			return false, false
		}
		r, err := probe(ctx, n)
		p := Probe{N: n, Result: r, Healthy: err == nil && r.Healthy()}
		if err != nil {
			p.Err = err.Error()
		}
		out.Probes = append(out.Probes, p)
		return p.Healthy, true
	}
	lo, hi := 0, 0
	for n := s.Start; ; {
		h, ok := try(n)
		if !ok {
			break
		}
		if h {
			lo = n
			if n >= s.Limit || hi != 0 {
				break
			}
			n = min(2*n, s.Limit)
			continue
		}
		hi = n
		if lo != 0 || n <= 2 {
			break
		}
		n /= 2
	}
	for lo != 0 && hi != 0 && hi-lo > 1 && float64(hi) > float64(lo)*(1+s.Precision) {
		mid := (lo + hi) / 2
		h, ok := try(mid)
		if !ok {
			break
		}
		if h {
			lo = mid
		} else {
			hi = mid
		}
	}
	out.Largest, out.SmallestUnhealthy = lo, hi
	return out
}
