package main

//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen

// CacheMessage is what the members of a cache cluster tell each other.
//
//memberlist:messages
type CacheMessage interface{ isCacheMessage() }

// Invalidate tells a member to drop a key it may hold.
//
//memberlist:tag 1
type Invalidate struct {
	Key string `memberlist:"max=128"`
}

// Warm asks a member to load keys before they are asked for.
//
//memberlist:tag 2
type Warm struct {
	Keys []string `memberlist:"max=8,elem=128"`
}

func (Invalidate) isCacheMessage() {}
func (Warm) isCacheMessage()       {}
