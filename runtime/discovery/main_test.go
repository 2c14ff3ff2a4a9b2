package discovery

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine, a lookup's included, is still
// running once every test and its cleanup are done.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
