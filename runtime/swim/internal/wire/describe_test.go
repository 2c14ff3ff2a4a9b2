package wire

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDescribe(t *testing.T) {
	sync := &Sync{Flags: SyncWantReply | SyncLast, From: "node-1", Records: []Record{
		{Name: "node-1", Addr: v4(), Incarnation: 3, State: StateAlive, Meta: []byte("zone=a")},
		{Name: "node-2", Addr: v6(), Incarnation: 1, State: StateSuspect},
	}}
	many := &Sync{Flags: SyncReply, From: "a"}
	for i := range 10 {
		many.Records = append(many.Records, Record{Name: fmt.Sprintf("n%d", i), Addr: v4(), State: StateDead})
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"ping", AppendPing(AppendHeader(nil), &Ping{Nonce: 0x1a2b3c4d}), "ping nonce=0x1a2b3c4d"},
		{"ack pads", AppendAck(AppendHeader(nil), &Ack{Nonce: 7}), "ack nonce=0x00000007"},
		{"nack", AppendNack(AppendHeader(nil), &Nack{Nonce: 0xffffffff}), "nack nonce=0xffffffff"},
		{"pingreq", AppendPingReq(AppendHeader(nil), &PingReq{Nonce: 1, Target: "node-2", Addr: v4()}),
			"pingreq nonce=0x00000001 target=node-2@10.1.2.3:7946"},
		{"alive with gossip", AppendSuspect(AppendAlive(AppendPing(AppendHeader(nil), &Ping{Nonce: 2}),
			&Alive{Name: "node-3", Addr: v4(), Incarnation: 9, Meta: []byte("xy")}),
			&Suspect{Name: "node-4", Incarnation: 2, From: "node-0"}),
			"ping nonce=0x00000002 + alive node-3@10.1.2.3:7946 inc=9 meta=2B + suspect node-4 inc=2 from=node-0"},
		{"dead and leave", AppendLeave(AppendDead(AppendHeader(nil), &Dead{Name: "x", Incarnation: 4, From: "y"}), &Leave{Name: "z", Incarnation: 5}),
			"dead x inc=4 from=y + leave z inc=5"},
		{"cookie then sync", AppendSync(AppendCookie(AppendHeader(nil), &Cookie{Value: make([]byte, 16)}), sync),
			"cookie 16B + sync want-reply,last from=node-1 [node-1@10.1.2.3:7946 inc=3 alive meta=6B, node-2@[2001:db8::1]:65535 inc=1 suspect]"},
		{"long sync abbreviated", AppendSync(AppendHeader(nil), many),
			"sync reply from=a [n0@10.1.2.3:7946 inc=0 dead, n1@10.1.2.3:7946 inc=0 dead, n2@10.1.2.3:7946 inc=0 dead, " +
				"n3@10.1.2.3:7946 inc=0 dead, n4@10.1.2.3:7946 inc=0 dead, n5@10.1.2.3:7946 inc=0 dead, n6@10.1.2.3:7946 inc=0 dead, " +
				"n7@10.1.2.3:7946 inc=0 dead, ... 2 more]"},
		{"empty sync", AppendSync(AppendHeader(nil), &Sync{From: "a"}), "sync from=a []"},
		{"user", AppendUser(AppendHeader(nil), &User{Payload: []byte("hi\n")}), `user 3B "hi\n"`},
		{"long broadcast", AppendBroadcast(AppendHeader(nil), &Broadcast{Origin: "o", ID: 0xabc, Payload: []byte(strings.Repeat("x", 30))}),
			`broadcast origin=o id=0x00000abc 30B "xxxxxxxxxxxxxxxxxxxxxxxx"...`},
		{"digest", AppendDigest(AppendHeader(nil), &Digest{From: "n", Digest: 0xfeed}), "digest from=n 0x000000000000feed"},
		{"empty", nil, "undecodable 0B: wire: no message: empty packet"},
		{"bad version", []byte{99, 1}, "undecodable 2B: wire: unknown version 99 (want 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Describe(tt.in)
			assert.Equal(t, tt.want, got)
			assert.NotContains(t, got, "\n", "one line")
		})
	}
}

func TestDescribeNeverPanicsOnTruncation(t *testing.T) {
	full := AppendSync(AppendCookie(AppendHeader(nil), &Cookie{Value: []byte{1, 2}}), &Sync{From: "a", Records: []Record{{Name: "b", Addr: v4()}}})
	for i := range len(full) {
		d := Describe(full[:i])
		assert.True(t, strings.HasPrefix(d, "undecodable") || strings.HasPrefix(d, "cookie"), "prefix %d: %s", i, d)
	}
}
