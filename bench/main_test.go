package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/memberlist-go/memberlist/bench/report"
	"github.com/memberlist-go/memberlist/bench/scenario"
)

func TestParseBench(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkS5/ours/encode-2         	75257767	        16.32 ns/op	       0 B/op	       0 allocs/op
BenchmarkS5/ours/encode+decode-2  	15560424	        75.97 ns/op	       106.0 wire-bytes	      96 B/op	       2 allocs/op
BenchmarkS5/hashicorp/encode+decode-2    	  542335	      2220 ns/op	    2640 B/op	      39 allocs/op
BenchmarkOther-2 1 1 ns/op
PASS
`)
	got := parseBench(out)
	want := []report.Bench{
		{Impl: "ours", Op: "encode", NsPerOp: 16.32},
		{Impl: "ours", Op: "encode+decode", NsPerOp: 75.97, WireBytes: 106, BytesPerOp: 96, AllocsPerOp: 2},
		{Impl: "hashicorp", Op: "encode+decode", NsPerOp: 2220, BytesPerOp: 2640, AllocsPerOp: 39},
	}
	assert.Equal(t, want, got)
}

func TestParseOnly(t *testing.T) {
	every := map[string]bool{}
	for _, p := range allParts {
		every[p] = true
	}
	for _, c := range []struct {
		only    string
		want    map[string]bool
		wantErr bool
	}{
		{"S1, s5", map[string]bool{"s1": true, "s5": true}, false},
		{"", every, false},
		{"s1,s9", nil, true},
	} {
		got, err := parseOnly(c.only)
		if c.wantErr {
			assert.Error(t, err, "parseOnly(%q)", c.only)
			continue
		}
		if assert.NoError(t, err, "parseOnly(%q)", c.only) {
			assert.Equal(t, c.want, got, "parseOnly(%q)", c.only)
		}
	}
}

// A child process is given the longest its trial may take, idle join
// extension included, before it is killed.
func TestTrialTimeout(t *testing.T) {
	for _, s := range []scenario.Spec{probeSpec(96), probeSpec(4096), trialSpec(128, lan)} {
		worst := max(s.JoinCap, s.JoinCapIdle) + s.Settle + s.Window + time.Duration(s.Crashes)*(s.DetectCap+s.CrashGap)
		assert.GreaterOrEqual(t, trialTimeout(s), worst+30*time.Second, "N=%d: timeout; the trial may take %v", s.N, worst)
	}
}
