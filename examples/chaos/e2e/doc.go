// Package e2e holds the chaos example's multi-process tests in network
// namespaces, each process in its own namespace on a shared bridge:
//
//   - TestChaosInNetworkNamespaces: six chaos processes crashed,
//     restarted, partitioned and cut one way while the test watches their
//     /members pages.
//   - TestHostileNetwork: the same six under attack from a seventh host,
//     whose program (internal/hostile) sprays acks, replays recorded
//     traffic and floods fake members while a member is killed.
//   - TestPodsAsTheManifestRunsThem: processes started as the manifests in
//     ../k8s start pods (the image's entrypoint, the container's args and
//     environment with the pod IP and the keys file of the Secret, a DNS
//     server publishing the headless service), checking that /readyz
//     flips as they join and leave, and that a pod with another key never
//     joins.
//
// They need root and iproute2 (`ip netns`) and run with `make e2e`:
//
//	go test -tags e2e -count=1 -v ./examples/chaos/e2e/
//
// TestMemberPageInBrowser, in the same run, drives the member page of a
// chaos process in headless chromium (Debian's chromium; skipped with a
// message without it) against three processes on loopback; make browser
// runs it alone, make screenshot also writes docs/img/member-page.png.
package e2e
