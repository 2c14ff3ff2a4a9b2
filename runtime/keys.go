package runtime

import (
	"context"
	"errors"
	"fmt"

	udpframe "github.com/memberlist-go/memberlist/runtime/udp/frame"
)

// Errors of the key methods; test for them with errors.Is.
var (
	// ErrNotEncrypted: the node was started without Keys. Encryption cannot
	// be turned on while it runs, as its peers would drop its packets, or
	// it theirs, until every member had changed over; restart the cluster
	// with keys instead.
	ErrNotEncrypted = errors.New("memberlist: node runs without encryption (no Config.Keys)")
	// ErrKeySize: a key is not 16, 24 or 32 bytes.
	ErrKeySize = udpframe.ErrKeySize
	// ErrKeyNotInstalled: UseKey named a key that InstallKey has not
	// installed.
	ErrKeyNotInstalled = udpframe.ErrKeyNotInstalled
	// ErrRemovePrimary: RemoveKey named the primary key; make another key
	// primary with UseKey first.
	ErrRemovePrimary = udpframe.ErrRemovePrimary
)

// Key rotation without downtime takes three steps, each done on every
// member before the next one starts on any:
//
//  1. InstallKey(new): every member can now decrypt packets sealed with it.
//  2. UseKey(new): members encrypt with it; those that have not switched
//     yet still send with the old key, which everyone still holds.
//  3. RemoveKey(old): packets sealed with the old key no longer open.
//
// Each step is safe while traffic flows: it takes effect with the next
// packet, and no packet waits for it. Repeating a step does nothing, so a
// rollout that failed half way can simply be run again. The keys are in
// memory only: a member restarted later needs the new keys in its Config.

// InstallKey adds key (16, 24 or 32 bytes) to the node's keyring: packets
// encrypted with it are accepted from now on. It does not change the key
// this node encrypts with. Installing a key already there does nothing.
func (n *Node) InstallKey(ctx context.Context, key []byte) error {
	return n.keyOp(ctx, "install", key, (*udpframe.Keyring).Install)
}

// UseKey makes an installed key the primary one, which encrypts every
// packet this node sends from now on. Install it on every member first:
// members without it drop this node's packets and, after a while, declare
// it failed.
func (n *Node) UseKey(ctx context.Context, key []byte) error {
	return n.keyOp(ctx, "use", key, (*udpframe.Keyring).Use)
}

// RemoveKey takes key out of the node's keyring: packets encrypted with it
// are dropped from now on. Removing the primary key is an error wrapping
// ErrRemovePrimary; removing a key that is not installed does nothing.
func (n *Node) RemoveKey(ctx context.Context, key []byte) error {
	return n.keyOp(ctx, "remove", key, (*udpframe.Keyring).Remove)
}

// Keys returns copies of the installed keys, the primary first; nil for a
// node without encryption.
func (n *Node) Keys() [][]byte {
	if n.keys == nil {
		return nil
	}
	return n.keys.Keys()
}

// keyOp runs one keyring change. It does not wait for anything (the keyring
// publishes the change to the transport at once), but it honours ctx and
// Close like the node's other calls, and logs the change without the key.
func (n *Node) keyOp(ctx context.Context, what string, key []byte, op func(*udpframe.Keyring, []byte) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-n.quit:
		return ErrClosed
	default:
	}
	if n.keys == nil {
		return &restated{msg: fmt.Sprintf("memberlist: %s key: node runs without encryption (no Config.Keys)", what), errs: []error{ErrNotEncrypted}}
	}
	if err := op(n.keys, key); err != nil {
		// The keyring's errors name the operation and the key's id.
		return publicError(err)
	}
	n.log.Info("memberlist: key "+what, "key_id", fmt.Sprintf("%#02x", udpframe.KeyID(key)), "keys", len(n.keys.Keys()))
	return nil
}
