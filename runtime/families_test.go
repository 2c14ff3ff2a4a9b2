package runtime

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A second family with a registered id is refused, naming both; the same
// family registering again is not a second family.
func TestFamilyRegistry(t *testing.T) {
	var r familyRegistry
	require.NoError(t, r.register(7, "example.com/a.Cmd"))
	require.NoError(t, r.register(7, "example.com/a.Cmd"), "the same family again")
	require.NoError(t, r.register(8, "example.com/b.Ctl"))

	err := r.register(7, "example.com/b.Kill")
	require.ErrorIs(t, err, ErrFamilyCollision)
	assert.EqualError(t, err, "memberlist: message family id taken: example.com/a.Cmd and example.com/b.Kill both have id 7; "+
		"give one of them another with //memberlist:messages id=N and run go generate")
	assert.Equal(t, map[uint32]string{7: "example.com/a.Cmd", 8: "example.com/b.Ctl"}, r.snapshot(), "the refused family is not recorded")
}

// The program's registry behind RegisterFamily: what one registers,
// RegisteredFamilies returns, and a copy of it.
func TestRegisterFamily(t *testing.T) {
	const id = 0xfeedf00d // no generated family of this test binary
	require.NoError(t, RegisterFamily(id, "example.com/test.Family"))
	err := RegisterFamily(id, "example.com/test.Other")
	assert.True(t, errors.Is(err, ErrFamilyCollision), "%v", err)
	got := RegisteredFamilies()
	assert.Equal(t, "example.com/test.Family", got[id])
	got[id] = "changed"
	assert.Equal(t, "example.com/test.Family", RegisteredFamilies()[id])
}
