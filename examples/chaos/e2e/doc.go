// Package e2e holds the chaos example's multi-process fault tests: six
// chaos processes, each in its own network namespace on a shared bridge,
// crashed, restarted, partitioned and cut one way while the test watches
// their /members pages. They need root and iproute2 (`ip netns`) and
// run with `make e2e`:
//
//	go test -tags e2e -count=1 -v ./examples/chaos/e2e/
//
// TestMemberPageInBrowser, in the same run, drives the member page of a
// chaos process in headless chromium (Debian's chromium; skipped with a
// message without it) against three processes on loopback; make browser
// runs it alone, make screenshot also writes docs/img/member-page.png.
package e2e
