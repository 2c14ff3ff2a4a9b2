package swim

import (
	"strconv"
	"strings"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// DescribePacket renders one datagram of the protocol as one line of text,
// its messages in order joined by " + ", for example
//
//	ping nonce=0x1a2b3c4d + alive node-3@10.0.0.4:7946 inc=2
//
// The text depends only on the bytes, so traces built from it can be
// compared as golden files; a datagram that does not decode is described by
// its length and the decoder's error.
func DescribePacket(b []byte) string { return wire.Describe(b) }

// String describes the packet and where it goes: "to 10.0.0.2:7946: ping
// nonce=0x1a2b3c4d".
func (o Outbound) String() string {
	return "to " + o.To.String() + ": " + wire.Describe(o.Bytes)
}

// String describes the event without its time: "joined
// node-1@10.0.0.2:7946 inc=3 alive".
func (e Event) String() string {
	return e.Type.String() + " " + e.Member.describe()
}

// describe renders a member record as name@addr, incarnation and state.
func (m Member) describe() string {
	s := m.Name + "@" + m.Addr.String() + " inc=" + strconv.FormatUint(m.Incarnation, 10) + " " + m.State.String()
	if len(m.Meta) > 0 {
		s += " meta=" + strconv.Itoa(len(m.Meta)) + "B"
	}
	return s
}

// String describes the payload by kind, claimed sender, length and its
// first bytes: `user from=node-1 5B "hello"`.
func (u UserMessage) String() string {
	kind := "user"
	if u.Broadcast {
		kind = "broadcast"
	}
	return kind + " from=" + u.From + " " + describePayload(u.Payload)
}

// describePayload quotes at most the first 24 bytes of p after its length.
func describePayload(p []byte) string {
	const quoted = 24
	s := strconv.Itoa(len(p)) + "B"
	switch {
	case len(p) == 0:
		return s
	case len(p) > quoted:
		return s + " " + strconv.Quote(string(p[:quoted])) + "..."
	}
	return s + " " + strconv.Quote(string(p))
}

// DescribeReady renders what a core asked for, one line per item in the
// order a driver acts on them: packets ("send to ADDR: ..."), events
// ("event ..."), deliveries ("deliver ...") and then the wake-up time
// ("wake in 1.5s", relative to now). An empty Ready gives "".
func DescribeReady(now time.Time, rd Ready) string {
	var b strings.Builder
	for _, p := range rd.Packets {
		b.WriteString("send " + p.String() + "\n")
	}
	for _, ev := range rd.Events {
		b.WriteString("event " + ev.String() + "\n")
	}
	for _, m := range rd.Delivered {
		b.WriteString("deliver " + m.String() + "\n")
	}
	if !rd.Wake.IsZero() {
		b.WriteString("wake in " + rd.Wake.Sub(now).String() + "\n")
	}
	return b.String()
}
