package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/memberlist-go/memberlist/bench/cluster"
	"github.com/memberlist-go/memberlist/bench/cluster/hashicorp"
	"github.com/memberlist-go/memberlist/bench/cluster/ours"
	"github.com/memberlist-go/memberlist/bench/scenario"
)

// trialRequest is what the driver hands a child process: one trial of one
// implementation.
type trialRequest struct {
	Impl       string
	Spec       scenario.Spec
	CPUProfile string `json:",omitempty"`
}

// impls are the implementations by name.
var impls = map[string]cluster.Impl{
	"ours":      ours.Impl{},
	"hashicorp": hashicorp.Impl{},
}

// runChild runs the trial described by the JSON in arg and prints its
// result as JSON on stdout.
func runChild(arg string) error {
	var req trialRequest
	if err := json.Unmarshal([]byte(arg), &req); err != nil {
		return fmt.Errorf("bench: -trial: %w", err)
	}
	impl, ok := impls[req.Impl]
	if !ok {
		return fmt.Errorf("bench: -trial: Impl = %q; want ours or hashicorp", req.Impl)
	}
	if req.CPUProfile != "" {
		f, err := os.Create(req.CPUProfile)
		if err != nil {
			return fmt.Errorf("bench: cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := scenario.Run(context.Background(), impl, req.Spec)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// trialTimeout bounds a child process: every phase at its cap, and a
// minute to start and stop.
func trialTimeout(s scenario.Spec) time.Duration {
	return max(s.JoinCap, s.JoinCapIdle) + s.Settle + s.Window + time.Duration(s.Crashes)*(s.DetectCap+s.CrashGap) + time.Minute
}

// runTrial runs one trial in a child process of its own, so that its CPU
// time, goroutines and sockets are its alone.
func runTrial(ctx context.Context, req trialRequest) (scenario.Result, error) {
	self, err := os.Executable()
	if err != nil {
		return scenario.Result{}, fmt.Errorf("bench: %w", err)
	}
	arg, err := json.Marshal(req)
	if err != nil {
		return scenario.Result{}, fmt.Errorf("bench: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, trialTimeout(req.Spec))
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "-trial", string(arg))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return scenario.Result{}, fmt.Errorf("bench: %s N=%d: %w: %s", req.Impl, req.Spec.N, err, strings.TrimSpace(stderr.String()))
	}
	var res scenario.Result
	if err := json.Unmarshal(out, &res); err != nil {
		return scenario.Result{}, fmt.Errorf("bench: %s N=%d: result: %w", req.Impl, req.Spec.N, err)
	}
	return res, nil
}
