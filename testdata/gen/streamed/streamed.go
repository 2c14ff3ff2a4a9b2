// Package streamed has a stream family, whose messages outgrow a packet
// and go to one member over SendReliable, beside a datagram family of the
// same file, which keeps the packet budget and its broadcast.
package streamed

import "time"

//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen

// Sync moves a member's state to another member: a snapshot of up to
// 1 MiB, far over a packet.
//
//memberlist:messages stream
type Sync interface{ isSync() }

// Snapshot is a dump of a member's state as of Version.
//
//memberlist:tag 1
type Snapshot struct {
	Version uint64
	Taken   time.Time
	Dump    []byte `memberlist:"max=1048576"`
}

// Request asks a member for its snapshot of some shards. Its largest
// encoding is over a packet too.
//
//memberlist:tag 2
type Request struct {
	Shards []uint32 `memberlist:"max=1024"`
	Reason string   `memberlist:"max=200"`
}

func (Snapshot) isSync() {}
func (Request) isSync()  {}

// Announce tells every member that a snapshot is ready: a datagram
// family, gossiped.
//
//memberlist:messages
type Announce interface{ isAnnounce() }

// Ready says that Version of the sender's state can be asked for.
//
//memberlist:tag 1
type Ready struct{ Version uint64 }

func (Ready) isAnnounce() {}
