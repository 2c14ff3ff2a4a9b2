package main

import (
	"testing"
	"time"

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
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseOnly(t *testing.T) {
	parts, err := parseOnly("S1, s5")
	if err != nil || !parts["s1"] || !parts["s5"] || parts["s2"] {
		t.Errorf("parseOnly(\"S1, s5\") = %v, %v", parts, err)
	}
	if parts, err := parseOnly(""); err != nil || len(parts) != len(allParts) {
		t.Errorf("parseOnly(\"\") = %v, %v; want every part", parts, err)
	}
	if _, err := parseOnly("s1,s9"); err == nil {
		t.Error("parseOnly(\"s1,s9\"): no error")
	}
}

// A child process is given the longest its trial may take, idle join
// extension included, before it is killed.
func TestTrialTimeout(t *testing.T) {
	for _, s := range []scenario.Spec{probeSpec(96), probeSpec(4096), trialSpec(128, lan)} {
		worst := max(s.JoinCap, s.JoinCapIdle) + s.Settle + s.Window + time.Duration(s.Crashes)*(s.DetectCap+s.CrashGap)
		if got := trialTimeout(s); got < worst+30*time.Second {
			t.Errorf("N=%d: timeout %v, the trial may take %v", s.N, got, worst)
		}
	}
}
