package udp

import (
	"net/netip"
	"time"
)

// BatchSize is the most datagrams one read of the socket takes and one
// write sends. On Linux that is one recvmmsg or sendmmsg system call, and
// one wake-up of the reading goroutine, for up to this many datagrams;
// elsewhere the transport reads and writes one datagram per system call
// behind the same interface.
const BatchSize = 32

// MaxBatches bounds the batches a StartBatch handler holds at once, not yet
// released: the transport's receive buffers are MaxBatches × BatchSize ×
// MaxPacketSize bytes at most (about 700 KB), allocated as traffic first
// needs them. While the handler holds all of them, datagrams are read and
// dropped unexamined (Stats.Overrun), so that the socket stays drained and
// the drops counted.
const MaxBatches = 16

// Datagram is one received datagram whose framing the transport accepted.
type Datagram struct {
	// From is the sender, IPv4 senders as plain IPv4.
	From netip.AddrPort
	// Payload is the datagram's payload, never empty, in the transport's
	// receive buffer (decrypted in place), its capacity cut to its length.
	Payload []byte
}

// Packet is a payload to send as one datagram, and where to.
type Packet struct {
	To    netip.AddrPort
	Bytes []byte
}

// Batch is the datagrams that one read of the socket returned and the
// transport accepted, in the order the socket yielded them. A handler
// given a Batch by StartBatch owns it, and its payloads, until it calls
// Release; it may hand the batch to another goroutine first.
type Batch struct {
	// Datagrams are the accepted datagrams; never empty.
	Datagrams []Datagram
	// Read is when the read that returned them did: the time they then
	// wait for their handler says how far behind it is.
	Read time.Time

	pool *batchPool
	msgs []message // the read's slots, each with its own buffer
	lent bool      // held by a handler, not yet released
}

// Release gives the batch's buffers back to the transport, which reads the
// next datagrams into them: no Payload of the batch may be used after. Call
// it once per batch; a second call panics.
func (b *Batch) Release() {
	if !b.lent {
		panic("udp: Batch released twice")
	}
	b.lent = false
	clear(b.Datagrams)
	b.Datagrams = b.Datagrams[:0]
	b.pool.free <- b
}

// message is one slot of a read: a buffer of MaxPacketSize bytes, and what
// the read put in it. n is the datagram's size, also when it was larger
// than the buffer (and so truncated).
type message struct {
	buf  []byte
	n    int
	from netip.AddrPort
}

// batchPool is the transport's receive buffers: up to MaxBatches batches,
// made as they are first needed and reused after. The read goroutine gets
// them; handlers put them back from any goroutine.
type batchPool struct {
	free chan *Batch
	made int // read goroutine only
}

func newBatchPool() *batchPool {
	return &batchPool{free: make(chan *Batch, MaxBatches)}
}

// get returns a free batch, or nil if all MaxBatches are lent.
func (p *batchPool) get() *Batch {
	select {
	case b := <-p.free:
		return b
	default:
	}
	if p.made == MaxBatches {
		return nil
	}
	p.made++
	return newBatch(p)
}

// newBatch allocates a batch with one buffer of MaxPacketSize bytes per
// slot, all in one block. Each buffer's capacity is cut to its length, so
// that no slot can reach into the next.
func newBatch(p *batchPool) *Batch {
	b := &Batch{pool: p, msgs: make([]message, BatchSize), Datagrams: make([]Datagram, 0, BatchSize)}
	block := make([]byte, BatchSize*MaxPacketSize)
	for i := range b.msgs {
		b.msgs[i].buf = block[i*MaxPacketSize : (i+1)*MaxPacketSize : (i+1)*MaxPacketSize]
	}
	return b
}

// outMessage is one framed datagram to send.
type outMessage struct {
	b  []byte
	to netip.AddrPort
}

// maxSenders is how many sendBatch a transport keeps for reuse: the loop
// writes from one goroutine, and others seldom at the same time.
const maxSenders = 4

// sendBatch is one WriteBatch call's buffers and system-call state; the
// transport keeps a few for reuse, as any goroutine may write. A slot's
// buffer is made the first time a batch is that long, so that a transport
// whose batches are short does not hold BatchSize buffers.
type sendBatch struct {
	w    batchWriter
	bufs [BatchSize][]byte
	out  [BatchSize]outMessage
}

// buf returns slot i's buffer, empty, with room for a datagram.
func (s *sendBatch) buf(i int) []byte {
	if s.bufs[i] == nil {
		s.bufs[i] = make([]byte, 0, MaxPacketSize)
	}
	return s.bufs[i][:0]
}

// batchWriter sends datagrams in order and returns how many were sent
// before the first that failed, with that one's error (nil when all were).
type batchWriter interface {
	write(ms []outMessage) (int, error)
}
