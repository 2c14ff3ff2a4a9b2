package codec

// STAND-IN: this file is written by hand in the form cmd/memberlist-gen
// emits (MessagePack in array form through tinylib/msgp, bounds checked on
// both sides) so that S5 could be measured before the generator existed.
// It is to be replaced by the generator's output for Message
// (//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen).

import (
	"fmt"

	"github.com/tinylib/msgp/msgp"
)

// MarshalMsg appends the encoding of z to b: an array of its three fields.
// It allocates nothing when b has room (MaxSize bytes). A field over its
// bound is an error naming it, and b is returned unchanged.
func (z *Message) MarshalMsg(b []byte) ([]byte, error) {
	if len(z.Name) > 32 {
		return b, fmt.Errorf("codec.Message.Name: %d bytes, more than max=32", len(z.Name))
	}
	if len(z.Payload) > 64 {
		return b, fmt.Errorf("codec.Message.Payload: %d bytes, more than max=64", len(z.Payload))
	}
	b = msgp.AppendArrayHeader(b, 3)
	b = msgp.AppendUint32(b, z.ID)
	b = msgp.AppendString(b, z.Name)
	b = msgp.AppendBytes(b, z.Payload)
	return b, nil
}

// UnmarshalMsg decodes a Message from the front of b into z and returns
// the rest of b. Lengths are checked against the bounds before anything is
// allocated; z.Payload's array is reused when it has room.
func (z *Message) UnmarshalMsg(b []byte) ([]byte, error) {
	n, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return b, fmt.Errorf("codec.Message: %w", err)
	}
	if n != 3 {
		return b, fmt.Errorf("codec.Message: %d fields, want 3", n)
	}
	if z.ID, b, err = msgp.ReadUint32Bytes(b); err != nil {
		return b, fmt.Errorf("codec.Message.ID: %w", err)
	}
	// The zero-copy readers return views into b, so the bound is checked
	// before the copy.
	var v []byte
	if v, b, err = msgp.ReadStringZC(b); err != nil {
		return b, fmt.Errorf("codec.Message.Name: %w", err)
	}
	if len(v) > 32 {
		return b, fmt.Errorf("codec.Message.Name: %d bytes, more than max=32", len(v))
	}
	z.Name = string(v)
	if v, b, err = msgp.ReadBytesZC(b); err != nil {
		return b, fmt.Errorf("codec.Message.Payload: %w", err)
	}
	if len(v) > 64 {
		return b, fmt.Errorf("codec.Message.Payload: %d bytes, more than max=64", len(v))
	}
	z.Payload = append(z.Payload[:0], v...)
	return b, nil
}
