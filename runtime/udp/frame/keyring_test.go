package frame

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewKeyring(t *testing.T) {
	_, err := NewKeyring()
	assert.ErrorIs(t, err, ErrNoKeys, "NewKeyring()")
	for _, n := range []int{0, 1, 15, 17, 20, 31, 33, 64} {
		key := bytes.Repeat([]byte{0x5a}, n)
		_, err := NewKeyring(testKey("ok", 16), key)
		if !assert.ErrorIs(t, err, ErrKeySize, "NewKeyring with a %d-byte key", n) {
			continue
		}
		assert.Contains(t, err.Error(), "key 2 of 2", "the error says which key")
		if n > 0 {
			assert.NotContains(t, err.Error(), string(key), "the error shows the key")
		}
	}
	a, b := testKey("a", 16), testKey("b", 24)
	kr := mustKeyring(t, a, b, a)
	assert.Equal(t, [][]byte{a, b}, kr.Keys(), "Keys(): the repeat installed once")
}

func TestKeyringKeepsCopies(t *testing.T) {
	raw := testKey("a", 16)
	kr := mustKeyring(t, raw)
	c := mustCodec(t, "", kr)
	p := c.Seal(nil, []byte{1})
	raw[0] ^= 0xff // the caller reuses its slice
	_, err := c.Open(nil, p)
	assert.NoError(t, err, "after the caller changed its slice")
	kr.Keys()[0][0] ^= 0xff // and changes what Keys returned
	_, err = c.Open(nil, c.Seal(nil, []byte{1}))
	assert.NoError(t, err, "after the caller changed Keys' result")
}

func TestKeyringOperations(t *testing.T) {
	a, b, c := testKey("a", 16), testKey("b", 24), testKey("c", 32)
	kr := mustKeyring(t, a)
	want := func(step string, w ...[]byte) {
		t.Helper()
		require.Equal(t, w, kr.Keys(), "%s: Keys()", step)
	}

	require.ErrorIs(t, kr.Use(b), ErrKeyNotInstalled, "Use of a key not installed")
	require.ErrorIs(t, kr.Install(make([]byte, 10)), ErrKeySize, "Install of a 10-byte key")
	for range 2 { // a repeated step changes nothing
		require.NoError(t, kr.Install(b))
		want("install b", a, b)
	}
	require.NoError(t, kr.Install(c))
	want("install c", a, b, c)
	for range 2 {
		require.NoError(t, kr.Use(c))
		want("use c", c, a, b)
	}
	err := kr.Remove(c)
	require.ErrorIs(t, err, ErrRemovePrimary, "Remove of the primary")
	assert.NotContains(t, err.Error(), string(c), "the error shows the key")
	want("after refusing to remove the primary", c, a, b)
	for range 2 {
		require.NoError(t, kr.Remove(a))
		want("remove a", c, b)
	}
}
