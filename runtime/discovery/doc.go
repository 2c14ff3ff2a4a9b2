// Package discovery tells a node where to find members to join through: a
// fixed list of addresses, or a DNS name that a platform such as Kubernetes
// keeps pointing at the live members.
//
// A Discovery only returns addresses. The runtime asks it at start and again
// every refresh interval and contacts each address that is not an alive
// member, which is how restarted pods and healed partitions find the cluster
// again; so an answer may name the asking node itself or members it already
// knows, and a failed lookup is an error to log and retry, not a reason to
// stop.
//
//	seeds := discovery.DNS("_swim._udp.chaos.default.svc.cluster.local", 0)
//	// or discovery.DNS("chaos.default.svc.cluster.local", 7946)
//	// or discovery.Static("10.0.0.1:7946", "[fd00::1]:7946", "seed.example:7946")
//	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
//	addrs, err := seeds.Seeds(ctx)
//	cancel()
//	if err != nil {
//		log.Printf("no seeds this round: %v", err) // try again next interval
//	}
//	for _, a := range addrs {
//		join(a)
//	}
//
// Answers are deduplicated and in a stable order, and IPv4-mapped IPv6
// addresses are given as IPv4, so that two answers with the same members
// compare equal and one member is not contacted twice under two spellings.
package discovery
