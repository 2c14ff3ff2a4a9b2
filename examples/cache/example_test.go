package main

import (
	"context"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// No goroutine of any node may outlive run.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The program as `go run ./examples/cache` runs it.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// node-2 drops "user:42" (from node-1)
	// node-3 drops "user:42" (from node-1)
	// node-3 warms [user:7 user:8] (from node-2)
}
