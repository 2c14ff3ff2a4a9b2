// Package e2e holds the chaos example's multi-process fault tests: six
// chaos processes, each in its own network namespace on a shared bridge,
// crashed, restarted, partitioned and cut one way while the test watches
// their /members pages (TestChaosInNetworkNamespaces); and the same six
// under attack from a seventh host, whose program (internal/hostile)
// sprays acks, replays recorded traffic and floods fake members while a
// member is killed (TestHostileNetwork). They need root and iproute2
// (`ip netns`) and run with `make e2e`:
//
//	go test -tags e2e -count=1 -v ./examples/chaos/e2e/
package e2e
