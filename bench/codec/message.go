// Package codec is scenario S5: one typed message, {uint32, string of 32
// bytes, []byte of 64}, encoded and decoded by our codec (MessagePack in
// array form through tinylib/msgp, as cmd/memberlist-gen emits it) and by
// the incumbent's (github.com/hashicorp/go-msgpack/v2's MsgpackHandle,
// used the way hashicorp/memberlist uses it). The benchmarks are in the
// tests: go test -bench S5 -benchmem.
package codec

// Message is S5's struct. The tags are memberlist-gen's bounds.
type Message struct {
	ID      uint32
	Name    string `memberlist:"max=32"`
	Payload []byte `memberlist:"max=64"`
}

// MaxSize is the longest encoding of a Message by MarshalMsg: a fixarray
// header (1), a uint32 (5), a str8 of 32 bytes (2+32) and a bin8 of 64
// (2+64).
const MaxSize = 1 + 5 + 2 + 32 + 2 + 64
