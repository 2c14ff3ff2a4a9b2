// Package udp moves the protocol's packets over one UDP socket per node.
//
// It knows nothing of members or messages: it binds a socket, works out the
// address other nodes should send to, hands each datagram it receives to one
// callback and sends datagrams on request. One datagram is one packet; the
// transport never splits, joins or truncates them.
//
//	t, err := udp.Listen(ctx, udp.Config{Bind: "0.0.0.0:7946"})
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
// # Sizes
//
// A datagram carries at most MaxPacketSize bytes, both ways: WriteTo refuses
// larger payloads with ErrTooLarge, and larger datagrams that arrive are
// counted in Stats.Oversized and dropped, so a peer configured for bigger
// packets shows up in the counters and the log rather than as truncated
// messages.
//
// # Addresses
//
// Addresses are netip.AddrPort values. IPv4 peers are always reported as
// plain IPv4, also when they arrive on a dual-stack IPv6 socket as
// IPv4-mapped IPv6 addresses, so one peer has one address.
package udp
