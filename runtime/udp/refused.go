package udp

import (
	"context"
	"log/slog"
	"net/netip"

	"github.com/memberlist-go/memberlist/runtime/udp/frame"
)

// A refusal is one reason a datagram's framing is refused, indexing the
// per-reason counters.
type refusal int

const (
	refusedMalformed refusal = iota
	refusedVersion
	refusedLabel
	refusedChecksum
	refusedUnencrypted
	refusedDecrypt
	refusedReplay
	refusedStale
	numRefusals
)

// refusals maps each error of frame.Codec.Open and frame.Replays.Check to its
// counter and to what an operator reading the log should suspect.
var refusals = [numRefusals]struct {
	err  error
	hint string
}{
	refusedMalformed:   {frame.ErrMalformed, "truncated or garbled datagram"},
	refusedVersion:     {frame.ErrVersion, "not a datagram of this release's format: an older member, or another program"},
	refusedLabel:       {frame.ErrLabel, "a member of another cluster (a different label)"},
	refusedChecksum:    {frame.ErrChecksum, "datagram corrupted on the way"},
	refusedUnencrypted: {frame.ErrUnencrypted, "an unencrypted datagram, while this node has keys: a member without keys"},
	refusedDecrypt:     {frame.ErrDecrypt, "no installed key opens it: a member with another key (keys rotated in the wrong order?), or tampering"},
	refusedReplay:      {frame.ErrReplayed, "a copy of a datagram received lately: a replay"},
	refusedStale:       {frame.ErrStale, "sealed longer ago than the clock-skew allowance, or too far ahead: a sender's clock is off (check NTP), or a replayed recording"},
}

// refuse counts a refused datagram and logs it: the first of each reason
// at Warn, since it usually means a misconfigured member that will keep
// sending, the rest at Debug, since they come per packet.
func (t *Transport) refuse(err error, from netip.AddrPort, size int, warned *[numRefusals]bool) {
	r := refusedMalformed
	for i := range refusals {
		if err == refusals[i].err {
			r = refusal(i)
			break
		}
	}
	t.stats.refused[r].Add(1)
	level := slog.LevelDebug
	if !warned[r] {
		level, warned[r] = slog.LevelWarn, true
	}
	if !t.log.Enabled(context.Background(), level) {
		return
	}
	t.log.Log(context.Background(), level, "udp: dropped datagram",
		slog.String("from", from.String()), slog.Int("size", size),
		slog.String("reason", err.Error()), slog.String("hint", refusals[r].hint))
}
