package udp

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// BenchmarkReceive measures the receive path, socket to handler and back,
// for datagrams that arrive one at a time and in bursts: with recvmmsg (the
// transport's reader on Linux) and with one read per datagram (its reader
// elsewhere, and this transport's before batching). A sender transport
// writes each burst with one WriteBatch; the handler releases each batch.
// Run it under strace -c -f to count system calls and wake-ups per
// datagram.
func BenchmarkReceive(b *testing.B) {
	for _, reader := range []string{"batched", "single"} {
		for _, burst := range []int{1, 8, BatchSize} {
			b.Run(fmt.Sprintf("%s/burst=%d", reader, burst), func(b *testing.B) {
				tx := listenB(b, Config{Bind: "127.0.0.1:0"})
				rx := listenB(b, Config{Bind: "127.0.0.1:0"})
				if reader == "single" {
					rx.readBatch = newSingleReader(rx.conn).read
				}
				got := make(chan int, MaxBatches)
				rx.StartBatch(func(bt *Batch) {
					n := len(bt.Datagrams)
					bt.Release()
					got <- n
				})
				ps := make([]Packet, burst)
				for i := range ps {
					ps[i] = Packet{To: rx.LocalAddr(), Bytes: bytes.Repeat([]byte{1}, 100)}
				}
				timeout := time.NewTimer(time.Hour)
				defer timeout.Stop()
				b.ReportAllocs()
				var batches int
				for b.Loop() {
					if err := tx.WriteBatch(ps); err != nil {
						b.Fatal(err)
					}
					for n := 0; n < burst; batches++ {
						select {
						case k := <-got:
							n += k
						case <-timeout.C:
							b.Fatal("datagrams lost")
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*burst), "ns/datagram")
				b.ReportMetric(float64(b.N*burst)/float64(batches), "datagrams/wake-up")
			})
		}
	}
}

func listenB(b *testing.B, cfg Config) *Transport {
	tr, err := Listen(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tr.Close() })
	return tr
}
