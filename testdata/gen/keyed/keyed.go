// Package keyed has message variants with a key field: their broadcasts
// replace the queued ones of the same key. Cache mixes keyed variants and
// one without a key; Lease has keys of every kind.
package keyed

import "time"

//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen

// Cache invalidates entries of a cache held by every member.
//
//memberlist:messages
type Cache interface{ isCache() }

// Set gives an entry a new value; a newer Set or Delete of its Key
// replaces it while it is queued.
//
//memberlist:tag 1
type Set struct {
	Key     string `memberlist:"key,max=64"`
	Value   []byte `memberlist:"max=256"`
	Version uint64
}

// Delete removes an entry.
//
//memberlist:tag 2
type Delete struct {
	Version uint64
	Key     string `memberlist:"max=64,key"`
}

// Flush empties every cache: no key, so no Flush replaces another.
//
//memberlist:tag 3
type Flush struct{ Version uint64 }

func (Set) isCache()    {}
func (Delete) isCache() {}
func (Flush) isCache()  {}

// Path names a file.
type Path string

// Lease hands out leases; every variant has a key, of every kind.
//
//memberlist:messages
type Lease interface{ isLease() }

// Grant is keyed by a holder's 16-byte id.
//
//memberlist:tag 1
type Grant struct {
	Holder [16]byte `memberlist:"key"`
	Until  time.Time
}

// Renew is keyed by a lease number.
//
//memberlist:tag 2
type Renew struct {
	ID uint64 `memberlist:"key"`
}

// Revoke is keyed by a signed shard number.
//
//memberlist:tag 3
type Revoke struct {
	Shard int32 `memberlist:"key"`
}

// Move is keyed by a named string type.
//
//memberlist:tag 4
type Move struct {
	To Path `memberlist:"key,max=32"`
}

// Blob is keyed by bytes.
//
//memberlist:tag 5
type Blob struct {
	Digest []byte `memberlist:"key,max=32"`
}

func (Grant) isLease()  {}
func (Renew) isLease()  {}
func (Revoke) isLease() {}
func (Move) isLease()   {}
func (Blob) isLease()   {}
