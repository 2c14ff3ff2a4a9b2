package frame_test

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/memberlist-go/memberlist/runtime/udp/frame"
)

func Example() {
	key := make([]byte, 32) // AES-256; share it with every member
	rand.Read(key)
	keys, err := frame.NewKeyring(key)
	if err != nil {
		fmt.Println(err)
		return
	}
	prod, err := frame.NewCodec("prod", keys)
	if err != nil {
		fmt.Println(err)
		return
	}
	datagram := prod.Seal(nil, []byte("a packet of the core"))
	packet, err := prod.Open(nil, datagram)
	fmt.Printf("%q %v\n", packet, err)

	// A cluster with another label, even with the same key, refuses it.
	staging, _ := frame.NewCodec("staging", keys)
	_, err = staging.Open(nil, datagram)
	fmt.Println(errors.Is(err, frame.ErrLabel))
	// Output:
	// "a packet of the core" <nil>
	// true
}
