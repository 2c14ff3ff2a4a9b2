package stream

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: Close must
// end the accept loop, every connection's goroutine and the janitor.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
