package runtime_test

import (
	"testing"

	"go.uber.org/goleak"
)

// No goroutine of any node may outlive its Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
