package runtime

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// subTestNode is a node with only what subscriptions use.
func subTestNode(buffer int) *Node {
	return &Node{cfg: Config{EventBuffer: buffer}, subs: map[*Subscription]struct{}{}}
}

// events returns n join events of members m-0, m-1, ...
func events(from, n int) []Event {
	out := make([]Event, n)
	for i := range out {
		out[i] = Event{Type: EventJoined, Member: Member{Name: fmt.Sprintf("m-%d", from+i)}}
	}
	return out
}

// A burst larger than C's own buffer but within EventBuffer reaches the
// subscriber whole and in order, through the backlog, whose pump then
// stops; C itself buffers no more than subscriptionBuffer events.
func TestSubscriptionBacklog(t *testing.T) {
	n := subTestNode(1000)
	s := n.Subscribe()
	assert.Equal(t, subscriptionBuffer, cap(s.c))
	n.publish(events(0, 600))
	n.publish(events(600, 300))
	for i := range 900 {
		ev := <-s.C
		require.Equal(t, fmt.Sprintf("m-%d", i), ev.Member.Name)
	}
	n.pumps.Wait() // the pump stops once the backlog is empty
	assert.Nil(t, s.backlog)
	n.publish(events(900, 1))
	assert.Equal(t, "m-900", (<-s.C).Member.Name, "straight into C again")
	s.Close()
	_, open := <-s.C
	assert.False(t, open)
}

// A subscriber more than EventBuffer behind is cut off: C delivers what
// it holds, then closes; a subscription closed while its pump waits on
// the subscriber ends too, and the pump with it.
func TestSubscriptionEnds(t *testing.T) {
	n := subTestNode(500)
	slow := n.Subscribe()
	n.publish(events(0, 501))
	require.ErrorIs(t, slow.Err(), ErrSlowSubscriber)
	got := 0
	for range slow.C {
		got++
	}
	assert.LessOrEqual(t, got, 500)
	n.pumps.Wait()

	closing := n.Subscribe()
	n.publish(events(0, 400))
	<-closing.C
	closing.Close()
	for range closing.C { // closed by the pump as it stops
	}
	assert.NoError(t, closing.Err())
	n.pumps.Wait()
}
