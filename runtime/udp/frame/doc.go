// Package frame turns the protocol core's packets into datagrams and back:
// it adds the cluster label and either a CRC32C checksum or AES-GCM
// encryption, and on the way in refuses anything that is not a packet of
// this cluster.
//
//	keys, err := frame.NewKeyring(primary)   // or nil: no encryption
//	codec, err := frame.NewCodec("prod", keys)
//	datagram := codec.Seal(buf[:0], packet)
//	packet, err := codec.Open(out[:0], datagram) // errors.Is(err, frame.ErrLabel), ...
//	err = replays.Check(datagram, time.Now())    // with keys: frame.ErrReplayed, ErrStale
//
// # Format
//
// Every datagram starts with a two-byte header and the label:
//
//	[version<<4 | flags] [label length] [label]
//
// The version is Version (1), in the high four bits so that the byte can
// never be mistaken for the core's own version byte (1) of an unframed
// packet. The flags: bit 0 marks an encrypted frame, bit 1 a label, bit 2 a
// send time (set on every encrypted frame, never on a plain one); bit 3 is
// reserved. The label is 0 to MaxLabelLen bytes. Then, without encryption:
//
//	[payload] [CRC32C (Castagnoli), 4 bytes, big endian, of everything before it]
//
// and with it:
//
//	[key id] [send time, 5 bytes] [nonce, 12 bytes] [AES-GCM ciphertext of the payload] [tag, 16 bytes]
//
// with the header, the label, the key id and the send time as additional
// authenticated data, so a packet sealed for another cluster, or with its
// label or time rewritten, fails to open. The key id is one byte derived
// from the key (see Keyring); it lets a receiver pick the key without
// trying every installed one, and lets it drop most garbage without running
// AES at all. The send time is the sender's clock in milliseconds since the
// Unix epoch modulo 2^40, big endian; a receiver's Replays refuses copies of
// a datagram by its nonce while it remembers it and by its send time after
// (see Replays and DefaultClockSkew). An encrypted frame without the send
// time, as an older release seals, is refused as ErrVersion: nothing would
// bound how long a recording of it could be replayed. The worst case,
// MaxOverhead, is 2 + 64 + 1 + 5 + 12 + 16 = 100 bytes, exactly the 100
// bytes that the core's packet budget leaves of a UDP payload.
//
// The label travels in clear in both modes: it keeps clusters that share a
// network apart and tells an operator which cluster a stray packet came
// from; it is no secret.
//
// # What Open checks, in order
//
//  1. Length and version: ErrMalformed, ErrVersion.
//  2. Plain frames: the checksum (ErrChecksum), then the label (ErrLabel),
//     then whether this node requires encryption (ErrUnencrypted). The
//     checksum comes first so that a corrupted packet is counted as
//     corrupted, and a packet of another cluster as such.
//  3. Encrypted frames: the label (ErrLabel) before any decryption, which it
//     makes cheap to refuse another cluster's traffic, the send-time flag
//     (ErrVersion), then the key id and the authentication tag
//     (ErrDecrypt).
//
// Open does not look at the clock: whether an authentic datagram is fresh
// is for the receiver's Replays (Check: ErrReplayed, ErrStale), which keeps
// the state that takes.
//
// Open returns these sentinel errors unwrapped, so refusing a packet
// allocates nothing, which matters when refusing a flood.
package frame
