package swim

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

func TestStateString(t *testing.T) {
	for _, c := range []struct {
		state State
		want  string
	}{
		{StateAlive, "alive"},
		{StateSuspect, "suspect"},
		{StateDead, "dead"},
		{StateLeft, "left"},
		{StateLeft + 1, "unknown"},
		{State(255), "unknown"},
	} {
		assert.Equal(t, c.want, c.state.String())
	}
}

// Every member holds a record of every other, so a process running
// hundreds of members holds hundreds of thousands: the record must not
// grow unnoticed (it was 288 bytes before its fields were packed and the
// coordinate, absent until a member's first, moved behind a pointer).
func TestMemberRecordSize(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(member{}), uintptr(176))
}
