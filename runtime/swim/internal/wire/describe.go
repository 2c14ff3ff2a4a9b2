package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// Describe limits: a description stays one readable line however large the
// packet, and cuts where it does always the same way, so that golden
// transcripts built from it are stable.
const (
	// describeRecords is how many sync records Describe lists before it
	// counts the rest.
	describeRecords = 8
	// describePayload is how many payload bytes Describe quotes.
	describePayload = 24
)

// Describe renders packet as one line of text for traces, transcripts and
// debug logs: its messages in order, joined by " + ", each as its type
// followed by its fields, for example
//
//	ping nonce=0x1a2b3c4d
//	cookie 16B + sync want-reply,last from=node-1 [node-1@10.0.0.2:7946 inc=3 alive]
//
// Sync records past the eighth are counted, not listed, and payloads are
// quoted up to 24 bytes. A packet that does not decode is described by its
// length and the decoder's error. The output depends only on the packet's
// bytes.
func Describe(packet []byte) string {
	msgs, err := DecodePacket(packet, nil)
	if err != nil {
		return fmt.Sprintf("undecodable %dB: %v", len(packet), err)
	}
	var b strings.Builder
	for i := range msgs {
		if i > 0 {
			b.WriteString(" + ")
		}
		describeMessage(&b, &msgs[i])
	}
	return b.String()
}

// describeMessage writes one message; see Describe.
func describeMessage(b *strings.Builder, m *Message) {
	b.WriteString(m.Type.String())
	switch m.Type {
	case TypePing:
		fmt.Fprintf(b, " nonce=0x%08x", m.Ping.Nonce)
	case TypeAck:
		fmt.Fprintf(b, " nonce=0x%08x", m.Ack.Nonce)
	case TypeNack:
		fmt.Fprintf(b, " nonce=0x%08x", m.Nack.Nonce)
	case TypePingReq:
		fmt.Fprintf(b, " nonce=0x%08x target=%s@%v", m.PingReq.Nonce, m.PingReq.Target, m.PingReq.Addr)
	case TypeAlive:
		a := &m.Alive
		fmt.Fprintf(b, " %s@%v inc=%d%s", a.Name, a.Addr, a.Incarnation, describeMeta(a.Meta))
	case TypeSuspect:
		fmt.Fprintf(b, " %s inc=%d from=%s", m.Suspect.Name, m.Suspect.Incarnation, m.Suspect.From)
	case TypeDead:
		fmt.Fprintf(b, " %s inc=%d from=%s", m.Dead.Name, m.Dead.Incarnation, m.Dead.From)
	case TypeLeave:
		fmt.Fprintf(b, " %s inc=%d", m.Leave.Name, m.Leave.Incarnation)
	case TypeSync:
		describeSync(b, &m.Sync)
	case TypeUser:
		b.WriteString(" " + describeBytes(m.User.Payload))
	case TypeBroadcast:
		fmt.Fprintf(b, " origin=%s id=0x%08x %s", m.Broadcast.Origin, m.Broadcast.ID, describeBytes(m.Broadcast.Payload))
		if m.Broadcast.Key != 0 {
			fmt.Fprintf(b, " key=0x%016x", m.Broadcast.Key)
		}
		if m.Broadcast.Epoch != 0 {
			fmt.Fprintf(b, " epoch=%d", m.Broadcast.Epoch)
		}
	case TypeDigest:
		fmt.Fprintf(b, " from=%s 0x%016x", m.Digest.From, m.Digest.Digest)
		if m.Digest.KeyedSum != 0 {
			fmt.Fprintf(b, " keyed=0x%016x", m.Digest.KeyedSum)
		}
		if m.Digest.Nonce != 0 {
			fmt.Fprintf(b, " nonce=%s", describeNonce(m.Digest.Nonce))
		}
	case TypeKeyedSums:
		describeKeyedSums(b, &m.KeyedSums)
	case TypeCookie:
		fmt.Fprintf(b, " %dB", len(m.Cookie.Value))
	case TypeToken:
		if m.Token.Given != 0 {
			fmt.Fprintf(b, " given=%s", describeNonce(m.Token.Given))
		}
		if m.Token.Echoed != 0 {
			fmt.Fprintf(b, " echoed=%s", describeNonce(m.Token.Echoed))
		}
	}
}

// describeKeyedSums names the buckets whose sums are not zero, so that a
// transcript shows which part of the store two members compared.
func describeKeyedSums(b *strings.Builder, m *KeyedSums) {
	fmt.Fprintf(b, " from=%s", m.From)
	if m.Flags&KeyedReply != 0 {
		b.WriteString(" reply")
	}
	n := 0
	for _, s := range m.Sums {
		if s != 0 {
			n++
		}
	}
	fmt.Fprintf(b, " buckets=%d/%d", n, len(m.Sums))
}

// describeSync writes a sync's flags, sender, nonce and records.
func describeSync(b *strings.Builder, s *Sync) {
	var flags []string
	for _, f := range []struct {
		bit  uint8
		name string
	}{{SyncWantReply, "want-reply"}, {SyncReply, "reply"}, {SyncLast, "last"}} {
		if s.Flags&f.bit != 0 {
			flags = append(flags, f.name)
		}
	}
	if unknown := s.Flags &^ (SyncWantReply | SyncReply | SyncLast); unknown != 0 {
		flags = append(flags, fmt.Sprintf("0x%02x", unknown))
	}
	if len(flags) > 0 {
		b.WriteString(" " + strings.Join(flags, ","))
	}
	b.WriteString(" from=" + s.From)
	if s.Nonce != 0 {
		b.WriteString(" nonce=" + describeNonce(s.Nonce))
	}
	b.WriteString(" [")
	for i, r := range s.Records {
		if i == describeRecords {
			fmt.Fprintf(b, ", ... %d more", len(s.Records)-describeRecords)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "%s@%v inc=%d %s%s", r.Name, r.Addr, r.Incarnation, r.State, describeMeta(r.Meta))
	}
	b.WriteString("]")
}

// describeNonce shows a nonce by its low 32 bits: enough to match an
// answer to its request by eye, without 16 digits of noise per line.
func describeNonce(n uint64) string { return fmt.Sprintf("%08x", uint32(n)) }

// describeMeta notes metadata by its length; the bytes are the
// application's and seldom readable.
func describeMeta(meta []byte) string {
	if len(meta) == 0 {
		return ""
	}
	return " meta=" + strconv.Itoa(len(meta)) + "B"
}

// describeBytes renders a payload as its length and its first bytes quoted.
func describeBytes(p []byte) string {
	s := strconv.Itoa(len(p)) + "B"
	if len(p) == 0 {
		return s
	}
	if len(p) > describePayload {
		return s + " " + strconv.Quote(string(p[:describePayload])) + "..."
	}
	return s + " " + strconv.Quote(string(p))
}

// String returns the state's lower-case name, or "State(n)" for an unknown
// n.
func (s State) String() string {
	switch s {
	case StateAlive:
		return "alive"
	case StateSuspect:
		return "suspect"
	case StateDead:
		return "dead"
	case StateLeft:
		return "left"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}
