//go:build linux

package main

import (
	"encoding/binary"
	"net/netip"

	"github.com/tinylib/msgp/msgp"
)

// The protocol's packets, written by hand as runtime/swim/internal/wire
// writes them (version 2): a version byte, then messages, each a type byte
// and a msgp array of the message's fields in order. An attacker has no
// access to the library's encoder either; writing the bytes here also keeps
// the wire package internal.
const wireVersion = 2

// Message types (runtime/swim/internal/wire/message.go).
const (
	typePing   = 1
	typeAck    = 2
	typeNack   = 3
	typeAlive  = 5
	typeSync   = 9
	typeCookie = 13
)

// Sync flags and record states.
const (
	syncWantReply = 1 << 0
	syncLast      = 1 << 2
	stateAlive    = 0
)

func appendAck(b []byte, nonce uint64) []byte {
	b = append(b, typeAck)
	b = msgp.AppendArrayHeader(b, 1)
	return msgp.AppendUint64(b, nonce)
}

func appendNack(b []byte, nonce uint64) []byte {
	b = append(b, typeNack)
	b = msgp.AppendArrayHeader(b, 1)
	return msgp.AppendUint64(b, nonce)
}

func appendAlive(b []byte, name string, addr netip.AddrPort, meta []byte, inc uint64) []byte {
	b = append(b, typeAlive)
	b = msgp.AppendArrayHeader(b, 4)
	b = msgp.AppendString(b, name)
	b = appendAddr(b, addr)
	b = msgp.AppendBytes(b, meta)
	return msgp.AppendUint64(b, inc)
}

func appendSyncStart(b []byte, flags uint8, from string, count int) []byte {
	b = append(b, typeSync)
	b = msgp.AppendArrayHeader(b, 3)
	b = msgp.AppendUint8(b, flags)
	b = msgp.AppendString(b, from)
	return msgp.AppendArrayHeader(b, uint32(count))
}

func appendRecord(b []byte, name string, addr netip.AddrPort, meta []byte, inc uint64, state uint8) []byte {
	b = msgp.AppendArrayHeader(b, 5)
	b = msgp.AppendString(b, name)
	b = appendAddr(b, addr)
	b = msgp.AppendBytes(b, meta)
	b = msgp.AppendUint64(b, inc)
	return msgp.AppendUint8(b, state)
}

func appendCookie(b []byte, v []byte) []byte {
	b = append(b, typeCookie)
	b = msgp.AppendArrayHeader(b, 1)
	return msgp.AppendBytes(b, v)
}

// appendAddr writes an IPv4 address as the wire does: a bin of the four
// address bytes and the big-endian port.
func appendAddr(b []byte, ap netip.AddrPort) []byte {
	a4 := ap.Addr().Unmap().As4()
	b = msgp.AppendBytesHeader(b, 6)
	b = append(b, a4[:]...)
	return binary.BigEndian.AppendUint16(b, ap.Port())
}

// recordSize is the size of one record as appendRecord writes it.
func recordSize(name string, meta []byte, inc uint64) int {
	return len(appendRecord(nil, name, netip.AddrPortFrom(netip.IPv4Unspecified(), 0), meta, inc, stateAlive))
}

// inbound is what the hostile process cares about in a packet it receives:
// the nonces of pings (to stay alive once it has joined) and a cookie.
type inbound struct {
	pings  []uint64
	cookie []byte
}

// parsePacket reads the pings and cookie of a packet and skips every other
// message; it stops at the first thing it cannot read.
func parsePacket(p []byte) inbound {
	var in inbound
	if len(p) < 2 || p[0] != wireVersion {
		return in
	}
	p = p[1:]
	for len(p) > 0 {
		t := p[0]
		p = p[1:]
		var err error
		switch t {
		case typePing:
			var n uint32
			var nonce uint64
			if n, p, err = msgp.ReadArrayHeaderBytes(p); err != nil || n != 2 {
				return in
			}
			if nonce, p, err = msgp.ReadUint64Bytes(p); err != nil {
				return in
			}
			if p, err = msgp.Skip(p); err != nil {
				return in
			}
			in.pings = append(in.pings, nonce)
		case typeCookie:
			var n uint32
			var v []byte
			if n, p, err = msgp.ReadArrayHeaderBytes(p); err != nil || n != 1 {
				return in
			}
			if v, p, err = msgp.ReadBytesBytes(p, nil); err != nil {
				return in
			}
			in.cookie = v
		default:
			if p, err = msgp.Skip(p); err != nil {
				return in
			}
		}
	}
	return in
}
