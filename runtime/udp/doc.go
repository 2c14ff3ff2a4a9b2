// Package udp moves the protocol's packets over one UDP socket per node.
//
// It knows nothing of members or messages: it binds a socket, works out the
// address other nodes should send to, frames each packet it sends (the
// cluster label, and a CRC32C checksum or AES-GCM encryption; see package
// frame), hands the payload of each datagram it accepts to one callback,
// and counts what it refuses. One datagram is one packet; the transport
// never splits, joins or truncates them.
//
//	keys, err := frame.NewKeyring(key) // or no Keyring: checksums only
//	t, err := udp.Listen(ctx, udp.Config{Bind: "0.0.0.0:7946", Label: "prod", Keyring: keys})
//	if err != nil {
//		return err
//	}
//	defer t.Close()
//	adv := t.AdvertiseAddr() // announce this, never the bound 0.0.0.0
//	t.Start(func(from netip.AddrPort, b []byte) {
//		// b is reused for the next datagram: copy it before keeping it.
//		inbox <- packet{from, bytes.Clone(b)}
//	})
//	err = t.WriteTo(pkt, to)
//
// # Batches
//
// StartBatch and WriteBatch move many datagrams per system call: on Linux
// recvmmsg and sendmmsg, up to BatchSize (32) datagrams each, so that a
// burst costs one wake-up of the reading goroutine rather than one per
// datagram; elsewhere they read and write one datagram per call behind the
// same interface. The receive path copies and allocates nothing: datagrams
// land in buffers the transport owns (at most MaxBatches batches of them),
// are checked and decrypted in place, and are lent to the handler as a
// Batch until it calls Release:
//
//	t.StartBatch(func(b *udp.Batch) { inbox <- b }) // the consumer calls b.Release()
//	err = t.WriteBatch([]udp.Packet{{To: a, Bytes: p1}, {To: b, Bytes: p2}})
//
// # Switching encryption or a label on
//
// Config.Transition lets a member read the cluster's previous framing as
// well as its own while encryption or a label is switched on, member by
// member, and choose which one it sends (see Transition).
//
// # Sizes
//
// A datagram carries at most MaxPacketSize bytes, framing included, both
// ways: WriteTo refuses payloads longer than MaxPayload with ErrTooLarge,
// and larger datagrams that arrive are counted in Stats.Oversized and
// dropped, so a peer configured for bigger packets shows up in the counters
// and the log rather than as truncated messages.
//
// # What is dropped
//
// A datagram is dropped and counted, by reason, when its framing is refused
// (Stats.BadFrame, BadVersion, BadLabel, BadChecksum, Unencrypted,
// DecryptFailed), and, with encryption, when it is a copy of one received
// lately (Stats.Replayed) or was sealed further from this node's time than
// Config.ClockSkew allows, which also catches a copy the replay filter no
// longer remembers (Stats.Stale). The first datagram dropped for each reason is
// logged at Warn, as it usually means a member with the wrong settings;
// the rest at Debug.
//
// # Addresses
//
// Addresses are netip.AddrPort values. IPv4 peers are always reported as
// plain IPv4, also when they arrive on a dual-stack IPv6 socket as
// IPv4-mapped IPv6 addresses, so one peer has one address.
package udp
