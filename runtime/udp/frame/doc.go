// Package frame turns the protocol core's packets into datagrams and back:
// it adds the cluster label and either a CRC32C checksum or AES-GCM
// encryption, and on the way in refuses anything that is not a packet of
// this cluster.
//
//	keys, err := frame.NewKeyring(primary)   // or nil: no encryption
//	codec, err := frame.NewCodec("prod", keys)
//	datagram := codec.Seal(buf[:0], packet)
//	packet, err := codec.Open(out[:0], datagram) // errors.Is(err, frame.ErrLabel), ...
//
// # Format
//
// Every datagram starts with a two-byte header and the label:
//
//	[version<<4 | flags] [label length] [label]
//
// The version is Version (1), in the high four bits so that the byte can
// never be mistaken for the core's own version byte (1) of an unframed
// packet; the one flag, bit 0, marks an encrypted frame. The label is 0 to
// MaxLabelLen bytes. Then, without encryption:
//
//	[payload] [CRC32C (Castagnoli), 4 bytes, big endian, of everything before it]
//
// and with it:
//
//	[key id] [nonce, 12 bytes] [AES-GCM ciphertext of the payload] [tag, 16 bytes]
//
// with the header, the label and the key id as additional authenticated
// data, so a packet sealed for another cluster, or with its label rewritten,
// fails to open. The key id is one byte derived from the key (see Keyring);
// it lets a receiver pick the key without trying every installed one, and
// lets it drop most garbage without running AES at all. The worst case,
// MaxOverhead, is 2 + 64 + 1 + 12 + 16 = 95 bytes, within the 100 bytes that
// the core's packet budget leaves of a UDP payload.
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
//     makes cheap to refuse another cluster's traffic, then the key id and
//     the authentication tag (ErrDecrypt).
//
// Open returns these sentinel errors unwrapped, so refusing a packet
// allocates nothing, which matters when refusing a flood.
package frame
