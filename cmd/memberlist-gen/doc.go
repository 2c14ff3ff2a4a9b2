// Memberlist-gen writes typed messages for a memberlist cluster: for each
// family of message types declared in a package, MessagePack codecs with
// stable tags, a compile-time proof that every message fits in a packet,
// and functions to send, broadcast and receive them on a runtime.Node.
//
// Declare a family as a sealed interface and its variants as structs of
// the same package, then run the generator through go generate:
//
//	package chaos
//
//	//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen
//
//	// ChaosMonkey is what the chaos example sends around the cluster.
//	//
//	//memberlist:messages
//	type ChaosMonkey interface{ isChaosMonkey() }
//
//	//memberlist:tag 1
//	type SimulateCpuSpike struct{ Seconds uint16 }
//
//	//memberlist:tag 2
//	type Note struct {
//		Text   string   `memberlist:"max=200"`
//		Labels []string `memberlist:"max=4,elem=16"`
//	}
//
//	func (SimulateCpuSpike) isChaosMonkey() {}
//	func (Note) isChaosMonkey()             {}
//
// and use what it writes:
//
//	stop := chaos.OnNote(node, func(from runtime.Member, m chaos.Note) { ... })
//	err := chaos.SendChaosMonkey(ctx, node, "node-2", chaos.Note{Text: "hi"})
//	err = chaos.BroadcastChaosMonkey(ctx, node, chaos.SimulateCpuSpike{Seconds: 5})
//
// # Usage
//
//	memberlist-gen [-C dir] [-v] [packages]
//
// The packages default to the one in the current directory, which is where
// go generate runs the command. -C runs in another directory; -v prints the
// files written. Each package is read with its types; for every file
// declaring a family, the output goes beside it as <file>_memberlist.go.
// A file the generator wrote before is ignored when reading the package
// (it may be stale), left alone when its content is already right, and
// removed when its families are gone. If any package has a problem, every
// problem is printed as file:line:col with a line saying how to fix it,
// nothing is written, and the exit status is 1.
//
// # Declaring messages
//
// //memberlist:messages, in the doc comment of an interface, makes it a
// family. The interface must have an unexported method, so that only its
// package can add variants. A package may hold several families, and a
// node may carry families of many packages. The family id tells a node's
// families apart on the wire: FNV-1a (32 bits) of "<package path>.<name>",
// unless set with //memberlist:messages id=N (N a uint32). Moving the package or
// renaming the interface changes the derived id; pin the old one with
// id=N to keep talking to programs built before.
//
// Every named type of the package that implements the family is a
// variant. It must be a struct, implement the interface with value
// receivers (messages travel and arrive as values), belong to one family,
// and carry //memberlist:tag N in its doc comment, with N in 1..65535 and
// unique in its family. The tag is the variant's identity on the wire, not
// its position in a list: variants may be reordered, added and removed
// freely, but a tag must never be reused for another type, and a variant's
// fields must not change (a new shape of message is a new variant with a
// new tag), since programs of both versions meet during a rolling upgrade.
//
// # Field types and bounds
//
// A field may be a bool, a sized int or uint, int, uint, float32, float64,
// string, []byte, a fixed array, a slice or a map of these, a struct type
// of the same package (nested; its fields follow the same rules),
// time.Time, time.Duration, netip.Addr, netip.AddrPort, or a named type
// over any of these. Map keys are strings, integers or bools. Pointers,
// interfaces, channels, functions, complex numbers, anonymous structs,
// structs of other packages and generic types are refused, and so are
// recursive types.
//
// Every variable-length field needs a bound in its tag, so that the
// largest message is known:
//
//	max=N    the length in bytes of a string or []byte, or the number of
//	         elements of a slice or entries of a map
//	elem=N   the length of each string or []byte element of a slice or an
//	         array, or of each map value
//	key=N    the length of each string map key
//
// For example `memberlist:"max=8,key=16,elem=64"` on a map[string]string.
// A tag bounds one level: the elements of a slice or map may be strings or
// []byte (bounded by elem=) or fixed-size values (numbers, arrays of them,
// structs, times, addresses), not slices or maps; wrap those in a struct
// with bounded fields.
//
// # What it writes
//
// For a family F with variants V1, V2, ...:
//
//	const FFamily uint32                   // the family id
//	const FMaxSize                         // the largest encoding, in bytes
//	func EncodeF(b []byte, m F) ([]byte, error)
//	func DecodeF(b []byte) (F, error)
//	func SendF(ctx context.Context, n *runtime.Node, to string, m F) error
//	func BroadcastF(ctx context.Context, n *runtime.Node, m F) error
//	func OnV1(n *runtime.Node, fn func(from runtime.Member, m V1)) (stop func())
//	func OnFError(n *runtime.Node, fn func(from runtime.Member, err error)) (stop func())
//	func readFTag(b []byte) (uint16, []byte, error) // for DecodeF and the On functions
//
// and for each variant and each struct nested in one, msgp's
// MarshalMsg(b []byte) ([]byte, error) and UnmarshalMsg(b []byte) ([]byte, error).
// Send and Broadcast take a context because they wait for the node's
// protocol loop, which may be busy.
//
// The compile-time guard
//
//	const _ = uint(runtime.MaxMessageSize - FMaxSize)
//
// breaks the build ("constant -N overflows uint") if a family can outgrow
// runtime.MaxMessageSize, say after an upgrade of the runtime with a
// smaller budget; the generator refuses such a family first, naming the
// variant, its size, the budget and the field to bound.
//
// # Wire format
//
// EncodeF writes the variant's tag as a MessagePack unsigned integer, then
// the variant: a MessagePack array of its fields in declaration order,
// without names. Numbers take their shortest MessagePack form; strings
// are str, []byte and [N]byte are bin; slices and arrays are arrays; maps
// are maps (in Go's random iteration order, so one value may encode to
// different bytes); nested structs are arrays; time.Time is the MessagePack
// timestamp extension (-1), an instant: its location and monotonic reading
// are not sent, and it decodes in UTC; netip.Addr and netip.AddrPort are
// bin holding their MarshalBinary form. An address with an IPv6 zone is
// refused. The family id is not part of the encoding: runtime.Node.Send
// and Broadcast put it before the payload, and the node hands a payload
// to the handlers of its family.
//
// Encoding allocates nothing when the buffer has room, and refuses a field
// over its bound with an error naming it. Decoding checks every bound
// before allocating, and refuses an unknown tag (what a newer version of
// the program sends), truncated or malformed input, a wrong number of
// fields and bytes after the message, with an error, never a panic.
// Decoding into a zero value leaves an empty slice or map nil.
//
// # Receiving
//
// Each On function registers its own runtime.Node.Handle handler for the
// family, so every message of the family reaches all of them. OnV reads
// the tag first (with an unexported readFTag, which DecodeF shares) and
// leaves a message tagged for another variant at that, without decoding
// it or allocating: with an On function per variant, each message is
// decoded once. Only V's tag goes on to V's UnmarshalMsg, with DecodeF's
// rule that no bytes may follow.
//
// A message that does not decode is dropped and counted by the node in
// runtime.Stats.Undecodable (with runtime.Node.CountUndecodable), which
// counts it once however many handlers fail on it. Which handlers fail
// depends on what is wrong. A malformed body fails the On functions of
// its own tag. No tag, or a tag of no variant this program knows (what a
// newer version sends during a rolling upgrade), fails every On function
// of the family: each knows the family's tags, and none reads such a
// message further. OnFError's handler decodes every message in full with
// DecodeF, counts what fails, and reports it, unknown tags included, to
// its function. A message tagged for a variant with no On function
// registered is read by no one past its tag, so it is counted only if
// OnFError is registered.
//
// # A complete program
//
// Three members of a cache cluster on loopback: one broadcasts an
// invalidation that the others act on, another sends a request to a third.
// In a module of its own, set up as the README's "Use it in your module"
// says (go get the module, then go get -tool this command, so that the
// generate directive runs it as "go tool memberlist-gen"), messages.go
// holds the family:
//
//	package main
//
//	//go:generate go tool memberlist-gen
//
//	// CacheMessage is what the members of a cache cluster tell each other.
//	//
//	//memberlist:messages
//	type CacheMessage interface{ isCacheMessage() }
//
//	// Invalidate tells a member to drop a key it may hold.
//	//
//	//memberlist:tag 1
//	type Invalidate struct {
//		Key string `memberlist:"max=128"`
//	}
//
//	// Warm asks a member to load keys before they are asked for.
//	//
//	//memberlist:tag 2
//	type Warm struct {
//		Keys []string `memberlist:"max=8,elem=128"`
//	}
//
//	func (Invalidate) isCacheMessage() {}
//	func (Warm) isCacheMessage()       {}
//
// and main.go the program:
//
//	// Command cache is a complete program with typed messages: three members
//	// of a cache cluster on loopback; one broadcasts an invalidation that the
//	// others act on, another sends a request to a third.
//	package main
//
//	import (
//		"context"
//		"fmt"
//		"io"
//		"os"
//		"slices"
//		"time"
//
//		"github.com/memberlist-go/memberlist/runtime"
//		"github.com/memberlist-go/memberlist/runtime/discovery"
//	)
//
//	func main() {
//		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
//		defer cancel()
//		if err := run(ctx, os.Stdout); err != nil {
//			fmt.Fprintln(os.Stderr, "cache:", err)
//			os.Exit(1)
//		}
//	}
//
//	// run starts three nodes, waits until each sees the three alive, sends
//	// typed messages and prints what the nodes received, in order.
//	func run(ctx context.Context, out io.Writer) error {
//		received := make(chan string, 16)
//		var nodes []*runtime.Node
//		defer func() {
//			for _, n := range nodes {
//				n.Close()
//			}
//		}()
//		for i := range 3 {
//			cfg := runtime.DefaultLocalConfig()
//			cfg.Name = fmt.Sprintf("node-%d", i+1)
//			cfg.BindAddr = "127.0.0.1:0" // port 0 picks a free port
//			if i > 0 {
//				cfg.Discovery = discovery.Static(nodes[0].LocalMember().Addr.String())
//			}
//			n, err := runtime.Start(ctx, cfg)
//			if err != nil {
//				return err
//			}
//			nodes = append(nodes, n)
//			// The generated On functions decode each message for its handler.
//			stop := OnInvalidate(n, func(from runtime.Member, m Invalidate) {
//				received <- fmt.Sprintf("%s drops %q (from %s)", cfg.Name, m.Key, from.Name)
//			})
//			defer stop()
//			stop = OnWarm(n, func(from runtime.Member, m Warm) {
//				received <- fmt.Sprintf("%s warms %v (from %s)", cfg.Name, m.Keys, from.Name)
//			})
//			defer stop()
//		}
//		for _, n := range nodes {
//			for alive(n) < len(nodes) {
//				select {
//				case <-ctx.Done():
//					return fmt.Errorf("%s sees %d alive members: %w", n.LocalMember().Name, alive(n), ctx.Err())
//				case <-time.After(10 * time.Millisecond):
//				}
//			}
//		}
//
//		// A broadcast reaches every other member; a send, one member.
//		if err := BroadcastCacheMessage(ctx, nodes[0], Invalidate{Key: "user:42"}); err != nil {
//			return err
//		}
//		if err := SendCacheMessage(ctx, nodes[1], "node-3", Warm{Keys: []string{"user:7", "user:8"}}); err != nil {
//			return err
//		}
//		var lines []string
//		for len(lines) < 3 {
//			select {
//			case l := <-received:
//				lines = append(lines, l)
//			case <-ctx.Done():
//				return fmt.Errorf("%d of 3 messages received: %w", len(lines), ctx.Err())
//			}
//		}
//		slices.Sort(lines) // they arrive in any order
//		for _, l := range lines {
//			fmt.Fprintln(out, l)
//		}
//		return nil
//	}
//
//	// alive counts the members n holds alive, itself included.
//	func alive(n *runtime.Node) int {
//		count := 0
//		for _, m := range n.Members() {
//			if m.State == runtime.StateAlive {
//				count++
//			}
//		}
//		return count
//	}
//
// go generate writes messages_memberlist.go beside messages.go, and go run .
// prints
//
//	node-2 drops "user:42" (from node-1)
//	node-3 drops "user:42" (from node-1)
//	node-3 warms [user:7 user:8] (from node-2)
//
// The program is examples/cache in this repository, whose test runs it and
// checks that it matches this listing.
package main
