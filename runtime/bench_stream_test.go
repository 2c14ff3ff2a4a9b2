package runtime_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// BenchmarkSendReliable sends messages of 1 and 16 MiB between two nodes
// on loopback, plain, sealed with keys and over mutual TLS, one at a time;
// MB/s is the payload's throughput, acknowledgement included, on a warm
// connection.
func BenchmarkSendReliable(b *testing.B) {
	ca := newTestCA(b)
	for _, mode := range []struct {
		name   string
		secure func(*runtime.Config)
	}{
		{"plain", func(*runtime.Config) {}},
		{"keys", func(c *runtime.Config) { c.Keys = [][]byte{[]byte("0123456789abcdef0123456789abcdef")} }},
		{"tls", func(c *runtime.Config) { c.TLS = ca.tlsConfig(b, c.Name) }},
	} {
		for _, size := range []int{1 << 20, 16 << 20} {
			b.Run(fmt.Sprintf("%s/%dMiB", mode.name, size>>20), func(b *testing.B) {
				cfg := func(name string) runtime.Config {
					c := runtime.DefaultLocalConfig()
					c.Name = name
					c.BindAddr = "127.0.0.1:0"
					mode.secure(&c)
					return c
				}
				a, err := runtime.Start(context.Background(), cfg("a"))
				require.NoError(b, err)
				defer a.Close()
				c := cfg("b")
				c.Discovery = discovery.Static(a.LocalMember().Addr.String())
				bn, err := runtime.Start(context.Background(), c)
				require.NoError(b, err)
				defer bn.Close()
				for deadline := time.Now().Add(10 * time.Second); countAlive(a) < 2 || countAlive(bn) < 2; {
					if time.Now().After(deadline) {
						b.Fatal("no cluster")
					}
					time.Sleep(10 * time.Millisecond)
				}
				stop := a.Handle(1, func(runtime.Member, []byte) {})
				defer stop()
				payload := make([]byte, size)
				rand.Read(payload)
				ctx := context.Background()
				require.NoError(b, bn.SendReliable(ctx, "a", 1, payload)) // warm the connection
				b.SetBytes(int64(size))
				b.ResetTimer()
				for range b.N {
					require.NoError(b, bn.SendReliable(ctx, "a", 1, payload))
				}
			})
		}
	}
}
