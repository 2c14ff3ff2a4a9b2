package swimtest

import (
	"bytes"
	"fmt"
	"net/netip"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
)

// Packet is one datagram a member put on the simulated network.
type Packet struct {
	From, To netip.AddrPort
	// At is the virtual time it was sent.
	At   time.Time
	Data []byte
}

// Capture records every packet members send from now on, lost or blocked
// ones included, as an eavesdropper on the wire would see them; the
// returned stop ends the recording and returns the packets in the order
// they were sent. Tests use it to replay old packets (Inject) and check
// that they change nothing they should not. One capture runs at a time.
func (c *Cluster) Capture() (stop func() []Packet) {
	var got []Packet
	c.tap = func(from *Node, p swim.Outbound) {
		got = append(got, Packet{From: from.Addr, To: p.To, At: c.now, Data: bytes.Clone(p.Bytes)})
	}
	return func() []Packet {
		c.tap = nil
		return got
	}
}

// Inject hands data to n's core at once, as a packet from the address
// from: a replayed, forged or corrupted one. What the core sends in answer
// goes on the network as usual. It returns the core's error for a packet
// it could not decode. A crashed member receives nothing and Inject
// returns nil.
func (c *Cluster) Inject(n *Node, from netip.AddrPort, data []byte) error {
	if !n.Up {
		return nil
	}
	c.tracePacket(from.String(), "=>", n.Addr, data, "")
	err := n.Core.Step(c.now, from, data)
	c.flush(n)
	return err
}

// trace writes one line to Options.Trace, after the virtual time elapsed.
func (c *Cluster) trace(format string, args ...any) {
	if c.opts.Trace == nil {
		return
	}
	fmt.Fprintf(c.opts.Trace, "%v "+format+"\n", append([]any{c.Elapsed().Round(time.Microsecond)}, args...)...)
}

// tracePacket traces a packet from sender (a member's name or an address)
// to the address to, named by its member when one is there; arrow is "->"
// for a packet a member sent, "=>" for one a test injected, and fate says
// why the network lost it, if it did.
func (c *Cluster) tracePacket(sender, arrow string, to netip.AddrPort, data []byte, fate string) {
	if c.opts.Trace == nil {
		return
	}
	dest := to.String()
	if n, ok := c.byAddr[to]; ok {
		dest = n.Name
	}
	if fate != "" {
		fate = " (" + fate + ")"
	}
	c.trace("%s %s %s: %s%s", sender, arrow, dest, swim.DescribePacket(data), fate)
}
