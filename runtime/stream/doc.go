// Package stream carries request/reply messages of up to a few megabytes
// between nodes over TCP: the reliable counterpart of package udp.
//
// It knows nothing of members or message kinds: it listens on one TCP
// socket (the same host and port number as the node's UDP socket), opens
// connections to peers and keeps a few idle ones per peer for reuse, frames
// messages, bounds every read and write with a deadline, and counts what it
// refuses. One Call sends one request and returns the peer's reply; the
// receiving Handler decides what the request means.
//
//	t, err := stream.Listen(ctx, stream.Config{Bind: bound, Advertise: advertised, Label: "prod", Keys: keyring})
//	if err != nil {
//		return err
//	}
//	defer t.Close()
//	t.Start(func(ctx context.Context, from netip.AddrPort, req []byte) (reply [][]byte, ok bool) {
//		return [][]byte{[]byte("taken")}, true // ok false closes the connection, unanswered
//	})
//	reply, err := t.Call(ctx, peer, header, payload) // errors.Is(err, stream.ErrRefused), ...
//
// # Connections
//
// A connection starts with a hello each way: the dialer's names the format
// version, the protection in use (none, sealed or TLS), the cluster label
// and the port the dialer advertises, so that the receiving side can tell
// which peer a request came from (its IP address is the connection's); the
// acceptor's answers with its own version and protection. A hello with
// another label, version or protection closes the connection, counted.
// Then come messages, each
//
//	[length, 4 bytes, big endian] [length bytes]
//
// requests and replies alternating. A length above MaxMessageSize closes the
// connection before a byte of the body is read; the body's buffer grows as
// its bytes arrive, so a peer that announces 16 MiB and sends 10 bytes
// costs 64 KiB, not 16 MiB.
//
// # Sealed streams
//
// With Config.Keys, everything after the hellos travels in AES-GCM records
//
//	[length of ciphertext and tag, 2 bytes, big endian] [ciphertext] [tag, 16 bytes]
//
// of at most 64 KiB. Each direction has its own key, derived with
// HKDF-SHA256 from the keyring key the dialer names (by a one-byte id), a
// random salt from each side, and both hellos, label included; so a
// connection recorded and replayed meets a fresh salt and opens nothing, and
// a hello altered on the way fails the first record. Each direction's nonces
// count up from a random base sent in its hello, and each record's
// additional data is its header and the label, so a record dropped,
// repeated, reordered or cut short fails to open: the connection is closed
// and counted (Stats.DecryptFailed, Stats.Truncated), nothing delivered.
//
// # TLS
//
// With Config.TLS, every connection is TLS with certificates both ways: the
// acceptor requires and verifies a client certificate (against ClientCAs,
// or RootCAs when ClientCAs is nil), and the dialer verifies the acceptor's
// certificate for the peer's IP address unless ServerName is set. A peer
// without a valid certificate gets nothing (Stats.TLSFailed). TLS takes the
// place of the keyring on streams when both are set.
//
// # Limits
//
// At most MaxInbound connections are served at once. When another one
// arrives at the limit, the connection that has been silent longest (one
// waiting for a hello or for its next request that has received no byte,
// read or waiting in the kernel, for 20 ms) is closed to make room
// (Stats.Evicted), so a peer that opens and holds many idle connections
// cannot lock others out; so may one still in its handshake after half of
// Timeout, however its bytes trickle in. With none to close, the new
// connection waits in the kernel's backlog until one ends. Every read and
// write has a deadline of Config.Timeout, and an idle connection is closed
// after twice Config.IdleTimeout.
//
// A dialer tries again, up to three connections in all, when a handshake
// is cut short or left unanswered (no request has gone out yet), and when
// a request could not be written whole or a reused connection turns out to
// have been closed before its answer; so a request is delivered at most
// twice, and twice only if the acceptor closed an idle connection after
// taking a request on it but before answering, which this package's
// acceptor never does by itself.
//
// # Who is calling
//
// A Handler learns the peer as the connection's source IP address and the
// port the dialer's hello advertises. A dialer bound to a specific address
// dials from it; one bound to every address dials from the address it
// advertises when that is one of the host's, so that the pair names the
// peer as its own members know it. Behind NAT, where the source address
// is rewritten, it names the NAT instead. With sealed streams or TLS the
// hello is authenticated, so only a holder of the key or a certificate can
// claim a port; on plain streams anyone who can connect from an address
// can claim any port on it.
package stream
