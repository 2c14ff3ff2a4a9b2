package udp

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind, which is how
// the tests check that Close really ends the read goroutine.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
