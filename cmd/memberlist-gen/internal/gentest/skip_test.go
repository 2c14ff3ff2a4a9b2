package gentest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/testdata/gen/localnames"
)

// A field tagged memberlist:"-" is not sent, whatever its type, and
// decoding leaves it as it was.
func TestSkippedFieldsAreNotSent(t *testing.T) {
	n := 1
	ch := make(chan struct{ A int })
	hook := func(int, ...string) error { return nil }
	with := localnames.Fields{S: "x", Cache: map[string]*int{"a": &n}, Hook: hook, Ch: ch, Any: 3}
	a, err := localnames.EncodeMsg(nil, with)
	require.NoError(t, err)
	b, err := localnames.EncodeMsg(nil, localnames.Fields{S: "x"})
	require.NoError(t, err)
	assert.Equal(t, b, a, "the skipped fields changed the encoding")

	into := localnames.Fields{Cache: with.Cache, Any: "kept"}
	rest, err := into.UnmarshalMsg(a[1:]) // after the one-byte tag 100
	require.NoError(t, err)
	assert.Empty(t, rest)
	assert.Equal(t, localnames.Fields{S: "x", Cache: with.Cache, Any: "kept"}, into)
}
