package swim

import (
	"testing"

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
