package swim_test

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
	"github.com/stretchr/testify/require"
)

// scriptEnv runs the commands of one testdata script over a simulated
// cluster and renders what each did: every packet sent (from -> to, or
// address => member for one the script injects), membership events and
// deliveries, as swimtest's trace writes them.
//
// The cluster starts on the first command that needs it, with
// swim.DefaultLANConfig, seed 1 and links of 1 ms without jitter, so that
// times in transcripts are round; "cluster" changes those first.
type scriptEnv struct {
	c     *swimtest.Cluster
	trace strings.Builder
	// cookies holds the last cookie a member sent to each address, so a
	// script can echo it ("cookie last") as a real requester would.
	cookies map[netip.AddrPort][]byte
	// stopCapture ends the capture of the packets sent during the current
	// command, which feeds cookies.
	stopCapture func() []swimtest.Packet
}

// handle runs one command and returns its transcript.
func (e *scriptEnv) handle(t testing.TB, td *datadriven.TestData) string {
	if td.Cmd != "cluster" && e.c == nil {
		e.start(t, &datadriven.TestData{})
	}
	var out string
	var err error
	switch td.Cmd {
	case "cluster":
		e.start(t, td)
	case "add":
		out, err = e.add(t, td)
	case "join":
		err = e.c.Join(e.node(t, td, "node"), e.nodes(t, td, "seeds")...)
	case "join-all":
		err = e.c.JoinAll(e.nodes(t, td, "seeds")...)
	case "run":
		var d time.Duration
		td.ScanArgs(t, "for", &d)
		e.c.Run(d)
		if td.HasArg("quiet") {
			e.quiet()
		}
	case "block", "unblock":
		from, to := e.node(t, td, "from"), e.node(t, td, "to")
		if td.Cmd == "block" {
			e.c.Block(from, to)
		} else {
			e.c.Unblock(from, to)
		}
	case "partition":
		var groups [][]*swimtest.Node
		for _, a := range td.CmdArgs {
			groups = append(groups, e.named(t, a.Vals))
		}
		e.c.Partition(groups...)
	case "heal":
		e.c.Heal()
	case "loss":
		e.loss(t, td)
	case "crash":
		e.c.Crash(e.node(t, td, "node"))
	case "pause":
		err = e.c.Pause(e.node(t, td, "node"))
	case "resume":
		err = e.c.Resume(e.node(t, td, "node"))
	case "restart":
		out, err = e.restart(t, td)
	case "leave":
		err = e.c.Leave(e.node(t, td, "node"))
	case "send":
		var to, payload string
		td.ScanArgs(t, "to", &to)
		td.ScanArgs(t, "payload", &payload)
		err = e.c.Send(e.node(t, td, "from"), to, []byte(payload))
	case "broadcast":
		var payload string
		td.ScanArgs(t, "payload", &payload)
		err = e.c.Broadcast(e.node(t, td, "from"), []byte(payload))
	case "inject":
		err = e.inject(t, td)
	case "members":
		out = e.members(t, td)
	case "stats":
		out = e.stats(t, td)
	default:
		t.Fatalf("%s: unknown command %q", td.Pos, td.Cmd)
	}
	e.noteCookies()
	out = e.trace.String() + out
	e.trace.Reset()
	if err != nil {
		out += "error: " + err.Error() + "\n"
	}
	if out == "" {
		return "ok\n"
	}
	return out
}

// quiet keeps only the events and deliveries of the trace, for a long run
// whose packets are routine.
func (e *scriptEnv) quiet() {
	var kept strings.Builder
	for _, line := range strings.SplitAfter(e.trace.String(), "\n") {
		if strings.Contains(line, ": event ") || strings.Contains(line, ": deliver ") {
			kept.WriteString(line)
		}
	}
	e.trace.Reset()
	e.trace.WriteString(kept.String())
}

// start makes the cluster: cluster [seed=N] [jitter=D] [delay=D]
// [suspicion-mult=N] [indirect-checks=N].
func (e *scriptEnv) start(t testing.TB, td *datadriven.TestData) {
	cfg := swim.DefaultLANConfig()
	seed := uint64(1)
	link := swimtest.Link{Delay: time.Millisecond}
	td.MaybeScanArgs(t, "seed", &seed)
	td.MaybeScanArgs(t, "delay", &link.Delay)
	td.MaybeScanArgs(t, "jitter", &link.Jitter)
	td.MaybeScanArgs(t, "suspicion-mult", &cfg.SuspicionMult)
	td.MaybeScanArgs(t, "indirect-checks", &cfg.IndirectChecks)
	e.cookies = make(map[netip.AddrPort][]byte)
	e.trace.Reset()
	e.c = swimtest.New(swimtest.Options{Config: cfg, Seed: seed, Link: link, Trace: &e.trace})
	e.stopCapture = e.c.Capture()
}

// noteCookies remembers the cookies sent since the last call, by
// destination, and captures anew.
func (e *scriptEnv) noteCookies() {
	for _, p := range e.stopCapture() {
		msgs, _ := wire.DecodePacket(p.Data, nil)
		for _, m := range msgs {
			if m.Type == wire.TypeCookie {
				e.cookies[p.To] = m.Cookie.Value
			}
		}
	}
	e.stopCapture = e.c.Capture()
}

// add adds members: add n=3, or add name=X.
func (e *scriptEnv) add(t testing.TB, td *datadriven.TestData) (string, error) {
	var added []*swimtest.Node
	if td.HasArg("name") {
		var name string
		td.ScanArgs(t, "name", &name)
		n, err := e.c.Add(name)
		if err != nil {
			return "", err
		}
		added = append(added, n)
	} else {
		var n int
		td.ScanArgs(t, "n", &n)
		added = e.c.AddN(n)
	}
	var b strings.Builder
	for _, n := range added {
		fmt.Fprintf(&b, "%s at %v inc=%d\n", n.Name, n.Addr, n.Core.LocalMember().Incarnation)
	}
	return b.String(), nil
}

// restart boots a member again: restart node=X [new-addr] [clock-behind=D].
func (e *scriptEnv) restart(t testing.TB, td *datadriven.TestData) (string, error) {
	n := e.node(t, td, "node")
	td.MaybeScanArgs(t, "clock-behind", &n.ClockBehind)
	if err := e.c.Restart(n, td.HasArg("new-addr")); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s at %v inc=%d\n", n.Name, n.Addr, n.Core.LocalMember().Incarnation), nil
}

// loss sets the loss of the default link, or of from->to: loss p=0.3
// [from=X to=Y].
func (e *scriptEnv) loss(t testing.TB, td *datadriven.TestData) {
	link := swimtest.Link{Delay: time.Millisecond}
	td.MaybeScanArgs(t, "delay", &link.Delay)
	td.ScanArgs(t, "p", &link.Loss)
	if td.HasArg("from") {
		e.c.SetLink(e.node(t, td, "from"), e.node(t, td, "to"), link)
		return
	}
	e.c.SetDefaultLink(link)
}

// members lists views: members [node=X] for one member, else every
// running one.
func (e *scriptEnv) members(t testing.TB, td *datadriven.TestData) string {
	viewers := e.c.Up()
	if td.HasArg("node") {
		viewers = []*swimtest.Node{e.node(t, td, "node")}
	}
	var b strings.Builder
	for _, v := range viewers {
		var ms []string
		for _, m := range v.Core.Members() {
			ms = append(ms, fmt.Sprintf("%s@%v inc=%d %s", m.Name, m.Addr, m.Incarnation, m.State))
		}
		fmt.Fprintf(&b, "%s sees: %s\n", v.Name, strings.Join(ms, ", "))
	}
	return b.String()
}

// stats prints a member's non-zero counters: stats node=X.
func (e *scriptEnv) stats(t testing.TB, td *datadriven.TestData) string {
	s := reflect.ValueOf(e.node(t, td, "node").Core.Stats())
	var fields []string
	for i := range s.NumField() {
		if !s.Field(i).IsZero() {
			fields = append(fields, fmt.Sprintf("%s=%v", s.Type().Field(i).Name, s.Field(i)))
		}
	}
	return strings.Join(fields, " ") + "\n"
}

// node returns the member named by the argument key.
func (e *scriptEnv) node(t testing.TB, td *datadriven.TestData, key string) *swimtest.Node {
	var name string
	td.ScanArgs(t, key, &name)
	return e.named(t, []string{name})[0]
}

// nodes returns the members named by the argument key's values.
func (e *scriptEnv) nodes(t testing.TB, td *datadriven.TestData, key string) []*swimtest.Node {
	a, ok := td.Arg(key)
	require.True(t, ok, "%s: missing argument %s", td.Pos, key)
	return e.named(t, a.Vals)
}

// named maps member names to members; a name given to two members (a
// twin) means the one added last.
func (e *scriptEnv) named(t testing.TB, names []string) []*swimtest.Node {
	out := make([]*swimtest.Node, len(names))
	for i, name := range names {
		for _, n := range e.c.Nodes() {
			if n.Name == name {
				out[i] = n
			}
		}
		require.NotNil(t, out[i], "no member named %q", name)
	}
	return out
}

// addr resolves an address argument: a member's name (its current
// address, to spoof it) or ip:port.
func (e *scriptEnv) addr(t testing.TB, s string) netip.AddrPort {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap
	}
	return e.named(t, []string{s})[0].Addr
}

// inject hands a hand-written packet to a member: inject from=ADDR|NAME
// to=NAME, with one message per input line (see buildPacket).
func (e *scriptEnv) inject(t testing.TB, td *datadriven.TestData) error {
	var from string
	td.ScanArgs(t, "from", &from)
	src := e.addr(t, from)
	return e.c.Inject(e.node(t, td, "to"), src, e.buildPacket(t, src, td.Input))
}

// buildPacket encodes input, one message per line as "type key=value ...":
//
//	ping nonce=N | ack nonce=N | nack nonce=N
//	pingreq nonce=N target=NAME addr=A
//	alive name=X addr=A inc=N | suspect name=X inc=N from=Y
//	dead name=X inc=N from=Y | leave name=X inc=N
//	sync flags=want-reply,reply,last from=X   (records follow, one a line)
//	record name=X addr=A inc=N state=alive|suspect|dead|left
//	digest from=X value=N | user payload=S | broadcast origin=X id=N payload=S
//	cookie last (the last one sent to this packet's source) | cookie hex=H
//
// Numbers take Go syntax (0x1a2b). Addresses are ip:port or member names.
func (e *scriptEnv) buildPacket(t testing.TB, src netip.AddrPort, input string) []byte {
	var msgs []wire.Message
	for _, line := range strings.Split(strings.TrimSpace(input), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		kv := map[string]string{}
		for _, x := range f[1:] {
			k, v, _ := strings.Cut(x, "=")
			kv[k] = v
		}
		num := func(k string) uint64 {
			u, err := strconv.ParseUint(kv[k], 0, 64)
			require.NoError(t, err, "%q: %s", line, k)
			return u
		}
		if f[0] == "record" {
			require.True(t, len(msgs) > 0 && msgs[len(msgs)-1].Type == wire.TypeSync, "%q: a record follows a sync", line)
			s := &msgs[len(msgs)-1].Sync
			s.Records = append(s.Records, wire.Record{Name: kv["name"], Addr: e.addr(t, kv["addr"]), Incarnation: num("inc"), State: wireState(t, kv["state"])})
			continue
		}
		m := wire.Message{}
		switch f[0] {
		case "ping":
			m = wire.Message{Type: wire.TypePing, Ping: wire.Ping{Nonce: uint32(num("nonce"))}}
		case "ack":
			m = wire.Message{Type: wire.TypeAck, Ack: wire.Ack{Nonce: uint32(num("nonce"))}}
		case "nack":
			m = wire.Message{Type: wire.TypeNack, Nack: wire.Nack{Nonce: uint32(num("nonce"))}}
		case "pingreq":
			m = wire.Message{Type: wire.TypePingReq, PingReq: wire.PingReq{Nonce: uint32(num("nonce")), Target: kv["target"], Addr: e.addr(t, kv["addr"])}}
		case "alive":
			m = wire.Message{Type: wire.TypeAlive, Alive: wire.Alive{Name: kv["name"], Addr: e.addr(t, kv["addr"]), Incarnation: num("inc")}}
		case "suspect":
			m = wire.Message{Type: wire.TypeSuspect, Suspect: wire.Suspect{Name: kv["name"], Incarnation: num("inc"), From: kv["from"]}}
		case "dead":
			m = wire.Message{Type: wire.TypeDead, Dead: wire.Dead{Name: kv["name"], Incarnation: num("inc"), From: kv["from"]}}
		case "leave":
			m = wire.Message{Type: wire.TypeLeave, Leave: wire.Leave{Name: kv["name"], Incarnation: num("inc")}}
		case "sync":
			m = wire.Message{Type: wire.TypeSync, Sync: wire.Sync{Flags: syncFlags(t, kv["flags"]), From: kv["from"]}}
		case "digest":
			m = wire.Message{Type: wire.TypeDigest, Digest: wire.Digest{From: kv["from"], Digest: num("value")}}
		case "user":
			m = wire.Message{Type: wire.TypeUser, User: wire.User{Payload: []byte(kv["payload"])}}
		case "broadcast":
			m = wire.Message{Type: wire.TypeBroadcast, Broadcast: wire.Broadcast{Origin: kv["origin"], ID: uint32(num("id")), Payload: []byte(kv["payload"])}}
		case "cookie":
			m = wire.Message{Type: wire.TypeCookie, Cookie: wire.Cookie{Value: e.cookie(t, src, kv)}}
		default:
			t.Fatalf("%q: unknown message type %q", line, f[0])
		}
		msgs = append(msgs, m)
	}
	return encodePacket(msgs)
}

// cookie returns the value of a "cookie" line.
func (e *scriptEnv) cookie(t testing.TB, src netip.AddrPort, kv map[string]string) []byte {
	if h, ok := kv["hex"]; ok {
		b, err := hex.DecodeString(h)
		require.NoError(t, err, "cookie hex=%s", h)
		return b
	}
	c, ok := e.cookies[src]
	require.True(t, ok, "no cookie was sent to %v", src)
	return c
}

func encodePacket(msgs []wire.Message) []byte {
	b := wire.AppendHeader(nil)
	for i := range msgs {
		m := &msgs[i]
		switch m.Type {
		case wire.TypePing:
			b = wire.AppendPing(b, &m.Ping)
		case wire.TypeAck:
			b = wire.AppendAck(b, &m.Ack)
		case wire.TypeNack:
			b = wire.AppendNack(b, &m.Nack)
		case wire.TypePingReq:
			b = wire.AppendPingReq(b, &m.PingReq)
		case wire.TypeAlive:
			b = wire.AppendAlive(b, &m.Alive)
		case wire.TypeSuspect:
			b = wire.AppendSuspect(b, &m.Suspect)
		case wire.TypeDead:
			b = wire.AppendDead(b, &m.Dead)
		case wire.TypeLeave:
			b = wire.AppendLeave(b, &m.Leave)
		case wire.TypeSync:
			b = wire.AppendSync(b, &m.Sync)
		case wire.TypeDigest:
			b = wire.AppendDigest(b, &m.Digest)
		case wire.TypeUser:
			b = wire.AppendUser(b, &m.User)
		case wire.TypeBroadcast:
			b = wire.AppendBroadcast(b, &m.Broadcast)
		case wire.TypeCookie:
			b = wire.AppendCookie(b, &m.Cookie)
		}
	}
	return b
}

func syncFlags(t testing.TB, s string) uint8 {
	var f uint8
	for _, name := range strings.Split(s, ",") {
		switch name {
		case "":
		case "want-reply":
			f |= wire.SyncWantReply
		case "reply":
			f |= wire.SyncReply
		case "last":
			f |= wire.SyncLast
		default:
			t.Fatalf("unknown sync flag %q", name)
		}
	}
	return f
}

func wireState(t testing.TB, s string) wire.State {
	for st := wire.StateAlive; st <= wire.StateLeft; st++ {
		if st.String() == s {
			return st
		}
	}
	t.Fatalf("unknown state %q", s)
	return 0
}
