package stream_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/memberlist-go/memberlist/runtime/stream"
)

// keyring is a fixed keyring; a node passes its udp/frame.Keyring, whose
// keys rotate.
type keyring [][]byte

func (k keyring) Keys() [][]byte { return k }

// Two transports on loopback, sealed with a shared key: one answers
// requests, the other calls it.
func Example() {
	ctx := context.Background()
	keys := keyring{[]byte("0123456789abcdef0123456789abcdef")}
	bind := netip.MustParseAddrPort("127.0.0.1:0")

	server, err := stream.Listen(ctx, stream.Config{Bind: bind, Label: "prod", Keys: keys})
	if err != nil {
		panic(err)
	}
	defer server.Close()
	server.Start(func(_ context.Context, from netip.AddrPort, req []byte) ([][]byte, bool) {
		return [][]byte{[]byte("took "), fmt.Appendf(nil, "%d bytes", len(req))}, true
	})

	client, err := stream.Listen(ctx, stream.Config{Bind: bind, Label: "prod", Keys: keys})
	if err != nil {
		panic(err)
	}
	defer client.Close()
	reply, err := client.Call(ctx, server.AdvertiseAddr(), []byte("header:"), make([]byte, 1<<20))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(reply))
	// Output: took 1048583 bytes
}
