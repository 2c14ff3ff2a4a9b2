package runtime

import (
	"context"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
)

// The TCP fallback probe (issue 11; hashicorp/memberlist#226 and #295):
// when a direct ping goes unanswered, the core asks for a stream probe
// alongside the ping-reqs (swim.Ready.StreamProbes). The node runs it off
// the loop: one request of kindProbe naming the member, answered at once
// by the node of that name, and tells the core how it ended. An answer
// keeps the member alive and counts in Stats.Protocol.StreamProbeAcks, so
// that "UDP lost, TCP fine" shows to operators instead of as failures.
// Config.DisableTCPProbe (MEMBERLIST_TCP_FALLBACK_PROBE=false) turns it off.

// runStreamProbes starts the stream probes the core asked for; it runs on
// the loop, whose own count in wg keeps the Adds ordered before Close's
// Wait.
func (n *Node) runStreamProbes(probes []swim.StreamProbe) {
	for _, p := range probes {
		n.wg.Add(1)
		go n.streamProbe(p)
	}
}

// streamProbe asks the member at p.Addr whether it is p.Name, until the
// probe's deadline (the end of its protocol period: a later answer would
// not count), and hands the outcome to the loop.
func (n *Node) streamProbe(p swim.StreamProbe) {
	defer n.wg.Done()
	ctx, cancel := context.WithDeadline(n.streams.ctx, p.Deadline)
	reply, err := n.streams.tr.Call(ctx, p.Addr, []byte{kindProbe}, []byte(p.Name))
	cancel()
	ok := err == nil && len(reply) == 1 && reply[0] == statusOK
	if !ok {
		n.log.Debug("memberlist: stream probe failed", "member", p.Name, "addr", p.Addr, "err", err, "reply", reply)
	}
	select {
	case n.calls <- func(now time.Time) { n.core.StreamProbeResult(now, p.Token, ok) }:
	case <-n.quit:
	}
}

// answerProbe answers a stream probe: OK if it names this node. It needs
// no member lookup, so it is answered at once, whoever asks, as a ping is:
// the answer is one byte to a request of at least one.
func (n *Node) answerProbe(name []byte) byte {
	if string(name) != n.cfg.Name {
		return statusOtherMember
	}
	return statusOK
}
