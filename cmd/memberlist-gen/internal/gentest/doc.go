// Package gentest holds the tests that run the code memberlist-gen
// generated for the golden packages under testdata/gen: round trips of
// random values through every family, bounds and malformed input, a fuzz
// target for every decoder, two nodes exchanging messages over loopback
// (a stream family's megabyte messages too),
// and the codec benchmark of scenario S5. It has no code of its own; the
// generator's own tests (golden output, errors, the compile-time guard)
// are in cmd/memberlist-gen, which must not depend on the output it checks.
package gentest
