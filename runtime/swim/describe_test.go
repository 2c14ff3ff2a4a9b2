package swim

import (
	"net/netip"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/assert"
)

func TestDescribeReady(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := netip.MustParseAddrPort("10.0.0.2:7946")
	rd := Ready{
		Packets: []Outbound{{To: to, Bytes: wire.AppendPing(wire.AppendHeader(nil), &wire.Ping{Nonce: 0xbeef})}},
		Events: []Event{{Type: EventSuspected, At: now, Member: Member{
			Name: "node-1", Addr: to, Incarnation: 4, State: StateSuspect, Meta: []byte("m"),
		}}},
		Delivered: []UserMessage{{From: "node-1", Payload: []byte("hello")}, {From: "node-2", Broadcast: true}},
		Wake:      now.Add(1500 * time.Millisecond),
	}
	assert.Equal(t, "send to 10.0.0.2:7946: ping nonce=0x0000beef\n"+
		"event suspected node-1@10.0.0.2:7946 inc=4 suspect meta=1B\n"+
		"deliver user from=node-1 5B \"hello\"\n"+
		"deliver broadcast from=node-2 0B\n"+
		"wake in 1.5s\n", DescribeReady(now, rd))
	assert.Empty(t, DescribeReady(now, Ready{}))
}
