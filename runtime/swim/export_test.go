package swim

import "fmt"

// DigestDrift reports an error when the running sum c's digests are made
// from (viewSum) differs from a walk over its view: a change to a member
// that bypassed unsum and resum.
func DigestDrift(c *Core) error {
	var sum uint64
	for _, m := range c.nodes {
		sum += digestTerm(m)
	}
	if sum != c.viewSum {
		return fmt.Errorf("%s: digest sum %#x, view %#x", c.self.Name, c.viewSum, sum)
	}
	return nil
}
