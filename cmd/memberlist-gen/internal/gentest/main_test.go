package gentest

import (
	"testing"

	"go.uber.org/goleak"
)

// No goroutine of a node may outlive its Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
