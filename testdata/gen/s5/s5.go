// Package s5 is scenario S5's message: a uint32, a string of up to 32
// bytes and up to 64 bytes, for the codec benchmark.
package s5

//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen

// Codec is the family of the benchmark's one message.
//
//memberlist:messages
type Codec interface{ isCodec() }

// Message is S5's struct.
//
//memberlist:tag 1
type Message struct {
	ID      uint32
	Name    string `memberlist:"max=32"`
	Payload []byte `memberlist:"max=64"`
}

func (Message) isCodec() {}
