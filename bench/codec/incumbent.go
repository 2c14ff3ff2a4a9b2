package codec

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// userMsg is the message type byte the incumbent puts before every
// encoding; any value does for the benchmark.
const userMsg = 8

// EncodeIncumbent encodes m as hashicorp/memberlist encodes its messages
// (its util.go encode): a type byte, then go-msgpack's reflection-based
// MsgpackHandle into a fresh buffer, which writes a struct as a map keyed
// by field names.
func EncodeIncumbent(m *Message) (*bytes.Buffer, error) {
	buf := bytes.NewBuffer(nil)
	buf.WriteByte(userMsg)
	hd := codec.MsgpackHandle{}
	hd.TimeNotBuiltin = true
	if err := codec.NewEncoder(buf, &hd).Encode(m); err != nil {
		return nil, fmt.Errorf("codec: incumbent encode: %w", err)
	}
	return buf, nil
}

// DecodeIncumbent decodes what EncodeIncumbent encoded, as the incumbent
// decodes (its util.go decode, after the type byte).
func DecodeIncumbent(b []byte, m *Message) error {
	if len(b) < 1 || b[0] != userMsg {
		return fmt.Errorf("codec: incumbent decode: no message type byte")
	}
	var hd codec.MsgpackHandle
	if err := codec.NewDecoder(bytes.NewReader(b[1:]), &hd).Decode(m); err != nil {
		return fmt.Errorf("codec: incumbent decode: %w", err)
	}
	return nil
}
