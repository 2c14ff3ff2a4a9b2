//go:build race

package udp

import "testing"

// skipUnderRace skips allocation counts, which the race detector changes
// (sync.Pool drops items at random under it).
func skipUnderRace(t *testing.T) {
	t.Helper()
	t.Skip("allocation counts are meaningless under the race detector")
}
