// Package runtime runs a member of a cluster: a [Node] that joins other
// nodes over UDP, keeps the list of members current, detects failed
// members with SWIM and the Lifeguard refinements, and carries the
// application's messages. It is what an application imports; the protocol
// itself is in package swim, which does no I/O.
//
// # Starting a node
//
// A [Config] comes from a preset ([DefaultLANConfig], [DefaultWANConfig],
// [DefaultLocalConfig]) with fields set, or from MEMBERLIST_* environment
// variables ([ConfigFromEnv]). [Start] binds the socket and returns at
// once; the node joins through Config.Discovery in the background
// (package discovery: a static list, or DNS such as a Kubernetes headless
// service) and keeps asking it, so that members started in any order, or
// restarted, find each other:
//
//	cfg := runtime.DefaultLANConfig()
//	cfg.Name = "node-1" // unique in the cluster
//	cfg.Discovery = discovery.Static("10.0.0.1:7946", "10.0.0.2:7946")
//	node, err := runtime.Start(ctx, cfg)
//	if err != nil { ... }
//	defer node.Close()
//
// # Members and events
//
// [Node.Members] is a snapshot of the member list, this node included,
// sorted by name: each [Member] has a name, an address, metadata, an
// incarnation and a [State] (alive, suspect, dead or left). [Node.Subscribe]
// delivers every change as an [Event] (joined, updated, suspected, failed,
// left, conflict), in order, to each subscriber. A member that stops
// answering becomes suspect, then, unless it refutes in time, failed;
// [Node.Leave] announces a graceful exit, which the others report as left.
// [Node.Close] stops a node abruptly, which looks like a crash to the
// others.
//
// # Messages
//
// Messages belong to families, each with a uint32 id. [Node.Send] sends a
// payload of a family to one member in one packet, best effort;
// [Node.Broadcast] gossips one to every other member, each receiving it
// once; [Node.Handle] receives a family's messages. A payload is at most
// [MaxMessageSize] bytes. Usually the payloads are typed: the command
// memberlist-gen writes, for a sealed interface of message structs, the
// codecs and functions such as SendX, BroadcastX and OnV over these three,
// with a compile-time check that every message fits [MaxMessageSize].
//
// # Security
//
// With Config.Keys every packet is encrypted and authenticated with
// AES-GCM, and keys rotate on a running cluster with [Node.InstallKey],
// [Node.UseKey] and [Node.RemoveKey]. Config.Label keeps clusters that
// share a network apart. SECURITY.md in the repository has the threat
// model.
//
// # Observing
//
// Config.Logger receives a log/slog log, quiet by default; Config.Metrics
// receives the node's [Stats] once a second, and [Node.Stats] returns them
// on demand.
//
// # Errors
//
// Errors wrap sentinels that errors.Is finds: [ErrInvalidConfig] for a
// bad Config or variable (the message names the field or variable, its
// value and what is accepted), [ErrUnknownMember], [ErrTooLarge],
// [ErrQueueFull], [ErrLeft] and [ErrClosed] from the node's methods,
// [ErrSlowSubscriber] from a subscription that fell behind. A field that
// Config.Validate refuses is a [*ConfigError] too, which errors.As finds:
// its Field, Value and Want let a program name the setting in its own
// terms (a flag, a key of its file) without reading the message.
//
// A Node's methods are safe for concurrent use. One goroutine owns the
// protocol state, handlers run on another, and none outlives Close.
package runtime
