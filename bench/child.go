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
	Impl string
	Spec scenario.Spec
	// Reliable or PushPull, if set, make the trial one of S7 or S8
	// instead of a scenario trial of Spec.
	Reliable   *scenario.ReliableSpec `json:",omitempty"`
	PushPull   *scenario.PushPullSpec `json:",omitempty"`
	CPUProfile string                 `json:",omitempty"`
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
	var res any
	var err error
	switch {
	case req.Reliable != nil:
		res, err = scenario.RunReliable(context.Background(), impl, *req.Reliable)
	case req.PushPull != nil:
		res, err = scenario.RunPushPull(context.Background(), impl, *req.PushPull)
	default:
		res, err = scenario.Run(context.Background(), impl, req.Spec)
	}
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

// requestTimeout bounds the child process of any trial.
func requestTimeout(req trialRequest) time.Duration {
	switch {
	case req.Reliable != nil:
		return 3*req.Reliable.Timeout + time.Minute
	case req.PushPull != nil:
		return pushPullCost(*req.PushPull) + time.Minute
	}
	return trialTimeout(req.Spec)
}

// runTrial runs one trial of S1 to S4 in a child process of its own, so
// that its CPU time, goroutines and sockets are its alone.
func runTrial(ctx context.Context, req trialRequest) (scenario.Result, error) {
	var res scenario.Result
	err := runChildProcess(ctx, req, fmt.Sprintf("N=%d", req.Spec.N), &res)
	return res, err
}

// runChildProcess runs the trial req in a child process and decodes its
// result into res.
func runChildProcess(ctx context.Context, req trialRequest, what string, res any) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	arg, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout(req))
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "-trial", string(arg))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("bench: %s %s: %w: %s", req.Impl, what, err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(out, res); err != nil {
		return fmt.Errorf("bench: %s %s: result: %w", req.Impl, what, err)
	}
	return nil
}
