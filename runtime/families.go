package runtime

import (
	"errors"
	"fmt"
	"maps"
	"sync"
)

// ErrFamilyCollision is returned by RegisterFamily when another message
// family of the program already has the id.
var ErrFamilyCollision = errors.New("memberlist: message family id taken")

// RegisterFamily records that the message family named name (its package
// path and interface name, "example.com/app/msgs.Command") uses id in
// this program. The code memberlist-gen writes calls it from an init
// function for each family and panics on the error, so that a program
// linking two families with one id stops at start-up naming both, instead
// of handing one family's messages to the other's handlers. Registering
// the same name with the same id again is not an error.
//
// Ids collide when two families are pinned to one number with
// //memberlist:messages id=N, or, rarely, when the FNV-1a hashes of two
// names agree. memberlist-gen refuses collisions among the packages of
// one run; this catches those of packages generated apart. To resolve one,
// give one of the families another id with //memberlist:messages id=N and
// run go generate; members running the old build then no longer
// understand that family's messages, so change it before a rollout, not
// during one.
func RegisterFamily(id uint32, name string) error {
	return families.register(id, name)
}

// RegisteredFamilies returns the registered message families of the
// program: the name of each by its id.
func RegisteredFamilies() map[uint32]string {
	return families.snapshot()
}

// families is the program's registry. It is the package's one piece of
// global state, on purpose: ids collide within a program (within what is
// linked together), not within one Node, and generated init functions
// have no Node to register with.
var families = &familyRegistry{}

// familyRegistry maps message family ids to family names.
type familyRegistry struct {
	mu    sync.Mutex
	names map[uint32]string
}

func (r *familyRegistry) register(id uint32, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names == nil {
		r.names = map[uint32]string{}
	}
	if other, ok := r.names[id]; ok && other != name {
		a, b := min(other, name), max(other, name)
		return fmt.Errorf("%w: %s and %s both have id %d; give one of them another with //memberlist:messages id=N and run go generate", ErrFamilyCollision, a, b, id)
	}
	r.names[id] = name
	return nil
}

func (r *familyRegistry) snapshot() map[uint32]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := maps.Clone(r.names)
	if out == nil {
		out = map[uint32]string{}
	}
	return out
}
