// Package prometheus exports a node's Stats to Prometheus: a Collector
// that the application registers in a registry of its own choosing. The
// package registers nothing by itself and keeps no global state, so one
// program may run several nodes and export each (with a ConstLabels
// option telling them apart).
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(mlprom.New(node, mlprom.Options{}))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Every scrape reads the node's Stats once (a round trip to its protocol
// loop) and turns them into the metrics below; counters are Prometheus
// counters, member counts and the queue gauges, timings histograms in
// seconds (buckets runtime.TimingBounds). The names:
//
//	memberlist_members{state}                       gauge: alive, suspect, dead, left (this node included)
//	memberlist_health_score                         gauge: Lifeguard's local health, 0 is healthy
//	memberlist_queue_broadcasts                     gauge: news and user broadcasts waiting to be sent
//	memberlist_candidates                           gauge: members heard of but not heard from yet
//	memberlist_udp_packets_received_total           counter: datagrams handed to the protocol
//	memberlist_udp_packets_sent_total               counter
//	memberlist_udp_received_bytes_total             counter
//	memberlist_udp_sent_bytes_total                 counter
//	memberlist_udp_errors_total{op}                 counter: socket read and write failures
//	memberlist_probes_total                         counter: protocol periods that probed a member
//	memberlist_probes_failed_total                  counter: probes that ended without an ack
//	memberlist_probes_paired_total                  counter: probes answered before their period, sending nothing then
//	memberlist_indirect_probes_total                counter: ping-reqs sent
//	memberlist_stream_probes_total                  counter: TCP fallback probes asked for (direct ping unanswered)
//	memberlist_stream_probe_acks_total              counter: those answered before any ack over UDP
//	memberlist_stream_probes_failed_total           counter: those not answered
//	memberlist_suspicions_total                     counter: members this node started suspecting
//	memberlist_refutations_total                    counter: times this node refuted news about itself
//	memberlist_late_timers_total                    counter: times this node found its timers late (short of CPU)
//	memberlist_inconclusive_probes_total            counter: failed probes that accused nobody, this node's timers late or the relays it asked silent
//	memberlist_address_checks_total                 counter: pings checking a claimed new address
//	memberlist_cookies_sent_total                   counter: state requests of strangers answered with a cookie
//	memberlist_broadcasts_replaced_total            counter: keyed broadcasts replaced by a later one of their key
//	memberlist_packets_dropped_total{reason}        counter: datagrams dropped whole, by reason
//	memberlist_messages_dropped_total{reason}       counter: protocol messages refused inside accepted datagrams
//	memberlist_limited_total{reason}                counter: answers and checks not made because a limit was reached
//	memberlist_admission_refused_total{reason}      counter: members refused by AllowedCIDRs or Config.Admit, by reason
//	memberlist_stream_connections_total{op}         counter: TCP streams accepted, dialed, failed to dial, evicted
//	memberlist_stream_messages_received_total       counter: stream messages (SendReliable, state exchanges)
//	memberlist_stream_messages_sent_total           counter
//	memberlist_stream_received_bytes_total          counter
//	memberlist_stream_sent_bytes_total              counter
//	memberlist_streams_refused_total{reason}        counter: streams refused, by reason
//	memberlist_reliable_messages_received_total     counter: SendReliable messages taken from other members
//	memberlist_reliable_messages_sent_total         counter: SendReliable messages the receiver took
//	memberlist_state_exchanges_total{result}        counter: AppState exchanges: ok, failed
//	memberlist_state_merges_total{result}           counter: MergeRemoteState calls made, or states dropped for a slow one
//	memberlist_state_too_large_total                counter: LocalState results over MaxStreamMessageSize, not sent
//	memberlist_user_messages_sent_total{family,mode}      counter: application messages sent (mode direct) or broadcast
//	memberlist_user_messages_received_total{family,mode}  counter: application messages that arrived
//	memberlist_user_messages_dropped_total{family,reason} counter: arrived but reached no handler that could read them
//	memberlist_probe_rtt_seconds                    histogram: round trip of each answered probe
//	memberlist_sync_duration_seconds                histogram: anti-entropy exchanges, request to answer
//	memberlist_join_duration_seconds                histogram: Join calls, until the first answer
//	memberlist_handler_duration_seconds             histogram: the handlers of one message, together
//
// The family label is the family's registered name
// ("example.com/app/msgs.Command", as generated code registers it), its
// decimal id for a family handled or sent but not registered, or "other"
// for the messages of every other family (runtime.Stats.OtherFamilies).
// The reasons of memberlist_packets_dropped_total add up to
// runtime.Stats.Dropped.
package prometheus

import (
	"strconv"

	prom "github.com/prometheus/client_golang/prometheus"

	"github.com/memberlist-go/memberlist/runtime"
)

// Source is what a Collector reads: a *runtime.Node, or anything else
// with its Stats.
type Source interface {
	Stats() runtime.Stats
}

// Options configure a Collector.
type Options struct {
	// ConstLabels are added to every metric: {"node": name} tells apart
	// several nodes of one program registered in one registry.
	ConstLabels prom.Labels
}

// Collector is a prometheus.Collector of one node's Stats. Register it
// with a registry (prometheus.Registerer.MustRegister); it is safe for
// concurrent scrapes.
type Collector struct {
	src   Source
	descs descs
}

// descs are the collector's metric descriptions.
type descs struct {
	members, health, queue, candidates                      *prom.Desc
	streamProbes, streamProbeAcks, streamProbesFailed       *prom.Desc
	admission                                               *prom.Desc
	streamConns, streamMsgsIn, streamMsgsOut                *prom.Desc
	streamBytesIn, streamBytesOut, streamsRefused           *prom.Desc
	reliableIn, reliableOut                                 *prom.Desc
	stateExchanges, stateMerges, stateTooLarge              *prom.Desc
	packetsIn, packetsOut, bytesIn, bytesOut, udpErrors     *prom.Desc
	probes, failedProbes, indirect, suspicions, refutations *prom.Desc
	pairedProbes                                            *prom.Desc
	addressChecks, cookies, replaced                        *prom.Desc
	lateTimers, inconclusive                                *prom.Desc
	packetsDropped, messagesDropped, limited                *prom.Desc
	userSent, userReceived, userDropped                     *prom.Desc
	probeRTT, syncDuration, joinDuration, handlerDuration   *prom.Desc
}

// New returns a Collector of src's Stats.
func New(src Source, opts Options) *Collector {
	d := func(name, help string, labels ...string) *prom.Desc {
		return prom.NewDesc("memberlist_"+name, help, labels, opts.ConstLabels)
	}
	return &Collector{src: src, descs: descs{
		members:    d("members", "Members known, by state, this node included.", "state"),
		health:     d("health_score", "Lifeguard's local health score: 0 is healthy; higher means this node is slow to answer and waits longer before suspecting others."),
		queue:      d("queue_broadcasts", "Pieces of news and user broadcasts waiting to be sent."),
		candidates: d("candidates", "Members heard of but not heard from yet: they become members when they answer a ping."),

		packetsIn:  d("udp_packets_received_total", "UDP datagrams received and handed to the protocol."),
		packetsOut: d("udp_packets_sent_total", "UDP datagrams sent."),
		bytesIn:    d("udp_received_bytes_total", "Payload bytes of the UDP datagrams received and handed to the protocol."),
		bytesOut:   d("udp_sent_bytes_total", "Payload bytes of the UDP datagrams sent."),
		udpErrors:  d("udp_errors_total", "Failures of the UDP socket, by operation (read, write).", "op"),

		probes:             d("probes_total", "Protocol periods that probed a member."),
		failedProbes:       d("probes_failed_total", "Probes that ended without an ack, direct or indirect."),
		pairedProbes:       d("probes_paired_total", "Probes of this period's partner in the probe schedule that sent nothing: the partner had pinged first and answered the ping in our ack."),
		indirect:           d("indirect_probes_total", "Indirect probes (ping-reqs) sent to other members."),
		streamProbes:       d("stream_probes_total", "TCP fallback probes asked for: probes whose direct ping went unanswered."),
		streamProbeAcks:    d("stream_probe_acks_total", "TCP fallback probes answered before any ack over UDP: a rising count means UDP to some member is lost while TCP works."),
		streamProbesFailed: d("stream_probes_failed_total", "TCP fallback probes not answered."),
		suspicions:         d("suspicions_total", "Members this node started suspecting."),
		refutations:        d("refutations_total", "Times this node refuted news that it was suspect or dead."),
		lateTimers:         d("late_timers_total", "Times this node found its own timers or received packets run late, short of CPU, and raised its health score."),
		inconclusive:       d("inconclusive_probes_total", "Failed probes that accused nobody because this node's own timers or received packets ran late, or the relays it asked all stayed silent."),
		addressChecks:      d("address_checks_total", "Pings sent to check a member's claimed new address before believing it."),
		cookies:            d("cookies_sent_total", "State requests from addresses that are no member, answered with a return-routability cookie alone."),
		replaced:           d("broadcasts_replaced_total", "Keyed broadcasts replaced by a later one of their origin and key (BroadcastKeyed), here or passing through."),

		packetsDropped:  d("packets_dropped_total", "Datagrams dropped whole, by reason.", "reason"),
		messagesDropped: d("messages_dropped_total", "Protocol messages refused inside accepted datagrams, by reason.", "reason"),
		limited:         d("limited_total", "Answers and checks not made because a limit was reached, by reason.", "reason"),
		admission:       d("admission_refused_total", "Members refused by AllowedCIDRs or Config.Admit, by reason.", "reason"),

		streamConns:    d("stream_connections_total", "TCP streams, by operation: accepted, dialed, dial_failed, evicted (idle ones closed at the MaxStreamConns bound).", "op"),
		streamMsgsIn:   d("stream_messages_received_total", "Messages received over TCP streams."),
		streamMsgsOut:  d("stream_messages_sent_total", "Messages sent over TCP streams."),
		streamBytesIn:  d("stream_received_bytes_total", "Bytes of the messages received over TCP streams."),
		streamBytesOut: d("stream_sent_bytes_total", "Bytes of the messages sent over TCP streams."),
		streamsRefused: d("streams_refused_total", "TCP streams refused, by reason.", "reason"),
		reliableIn:     d("reliable_messages_received_total", "SendReliable messages taken from other members."),
		reliableOut:    d("reliable_messages_sent_total", "SendReliable messages this node sent that the receiver took."),
		stateExchanges: d("state_exchanges_total", "Application state (AppState) exchanges, by result: ok (started here or answered), failed (started here).", "result"),
		stateMerges:    d("state_merges_total", "Remote application states: merged (MergeRemoteState called), or dropped because too many waited for a slow MergeRemoteState.", "result"),
		stateTooLarge:  d("state_too_large_total", "LocalState results over MaxStreamMessageSize, not sent."),

		userSent:     d("user_messages_sent_total", "Application messages sent to one member (mode direct) or broadcast, by family.", "family", "mode"),
		userReceived: d("user_messages_received_total", "Application messages that arrived, sent to this node (direct) or broadcast, by family.", "family", "mode"),
		userDropped:  d("user_messages_dropped_total", "Application messages that arrived but reached no handler that could read them, by family and reason.", "family", "reason"),

		probeRTT:        d("probe_rtt_seconds", "Round trip of each probe answered by an ack."),
		syncDuration:    d("sync_duration_seconds", "Anti-entropy exchanges: from the request for another member's state until its answer."),
		joinDuration:    d("join_duration_seconds", "Join calls: until the first address answered."),
		handlerDuration: d("handler_duration_seconds", "How long the handlers of one application message ran, together."),
	}}
}

// Describe sends the descriptions of every metric the collector makes.
func (c *Collector) Describe(ch chan<- *prom.Desc) {
	d := &c.descs
	for _, x := range []*prom.Desc{
		d.members, d.health, d.queue, d.candidates,
		d.streamProbes, d.streamProbeAcks, d.streamProbesFailed, d.admission,
		d.streamConns, d.streamMsgsIn, d.streamMsgsOut, d.streamBytesIn, d.streamBytesOut, d.streamsRefused,
		d.reliableIn, d.reliableOut, d.stateExchanges, d.stateMerges, d.stateTooLarge,
		d.packetsIn, d.packetsOut, d.bytesIn, d.bytesOut, d.udpErrors,
		d.probes, d.failedProbes, d.pairedProbes, d.indirect, d.suspicions, d.refutations, d.addressChecks, d.cookies, d.replaced, d.lateTimers, d.inconclusive,
		d.packetsDropped, d.messagesDropped, d.limited,
		d.userSent, d.userReceived, d.userDropped,
		d.probeRTT, d.syncDuration, d.joinDuration, d.handlerDuration,
	} {
		ch <- x
	}
}

// Collect reads the source's Stats once and sends them as metrics.
func (c *Collector) Collect(ch chan<- prom.Metric) {
	s := c.src.Stats()
	e := emitter{ch: ch, d: &c.descs}
	e.protocol(s)
	e.drops(s)
	e.streams(s)
	e.families(s)
	e.timings(s)
}

// emitter sends a scrape's metrics, one part of Stats at a time.
type emitter struct {
	ch chan<- prom.Metric
	d  *descs
}

func (e emitter) gauge(desc *prom.Desc, v float64, labels ...string) {
	e.ch <- prom.MustNewConstMetric(desc, prom.GaugeValue, v, labels...)
}

func (e emitter) counter(desc *prom.Desc, v uint64, labels ...string) {
	e.ch <- prom.MustNewConstMetric(desc, prom.CounterValue, float64(v), labels...)
}

// protocol: member counts, traffic and the core's probe counters.
func (e emitter) protocol(s runtime.Stats) {
	d, p, t := e.d, s.Protocol, s.Transport
	e.gauge(d.members, float64(s.Alive), "alive")
	e.gauge(d.members, float64(s.Suspect), "suspect")
	e.gauge(d.members, float64(s.Dead), "dead")
	e.gauge(d.members, float64(s.Left), "left")
	e.gauge(d.health, float64(p.Health))
	e.gauge(d.queue, float64(p.QueueDepth))
	e.gauge(d.candidates, float64(p.Candidates))

	e.counter(d.packetsIn, s.PacketsIn)
	e.counter(d.packetsOut, s.PacketsOut)
	e.counter(d.bytesIn, s.BytesIn)
	e.counter(d.bytesOut, s.BytesOut)
	e.counter(d.udpErrors, t.ReadErrors, "read")
	e.counter(d.udpErrors, t.WriteErrors, "write")

	e.counter(d.probes, p.Probes)
	e.counter(d.failedProbes, p.FailedProbes)
	e.counter(d.pairedProbes, p.PairedProbes)
	e.counter(d.indirect, p.IndirectProbes)
	e.counter(d.streamProbes, p.StreamProbes)
	e.counter(d.streamProbeAcks, p.StreamProbeAcks)
	e.counter(d.streamProbesFailed, p.StreamProbesFailed)
	e.counter(d.suspicions, p.Suspicions)
	e.counter(d.refutations, p.Refutations)
	e.counter(d.lateTimers, p.LateTimers)
	e.counter(d.inconclusive, p.InconclusiveProbes)
	e.counter(d.addressChecks, p.AddressChecks)
	e.counter(d.cookies, p.CookiesSent)
	e.counter(d.replaced, p.BroadcastsReplaced)
}

// drops: datagrams and messages dropped, answers limited and members
// refused, by reason.
func (e emitter) drops(s runtime.Stats) {
	d, p, t := e.d, s.Protocol, s.Transport
	// Stats.Dropped is the node's own drops (the loop too far behind,
	// or the core could not decode) and the transport's refusals.
	for _, r := range []struct {
		reason string
		n      uint64
	}{
		{"inbound_overflow", s.InboundOverflow},
		{"malformed", p.Malformed},
		{"oversized", t.Oversized},
		{"empty", t.Empty},
		{"bad_frame", t.BadFrame},
		{"bad_version", t.BadVersion},
		{"bad_label", t.BadLabel},
		{"bad_checksum", t.BadChecksum},
		{"unencrypted", t.Unencrypted},
		{"decrypt_failed", t.DecryptFailed},
		{"replayed", t.Replayed},
		{"stale", t.Stale},
		{"overrun", t.Overrun},
	} {
		e.counter(d.packetsDropped, r.n, r.reason)
	}
	e.counter(d.messagesDropped, p.StrangerDropped, "stranger")
	e.counter(d.messagesDropped, p.AcksRejected, "ack_rejected")
	e.counter(d.messagesDropped, p.MembersRefused, "member_refused")
	e.counter(d.messagesDropped, p.IncarnationsRefused, "incarnation_refused")
	e.counter(d.messagesDropped, p.BroadcastsDropped, "broadcast_not_relayed")
	e.counter(d.limited, p.StateAnswersLimited, "state_answer")
	e.counter(d.limited, p.CorrectionsLimited, "correction")
	e.counter(d.limited, p.ChecksRefused, "address_check")
	e.counter(d.limited, p.PingReqsRefused, "ping_req")
	for reason, n := range s.AdmitRefused {
		e.counter(d.admission, n, reason)
	}
}

// streams: connections, refusals, reliable messages and state exchanges.
func (e emitter) streams(s runtime.Stats) {
	d, st := e.d, s.Stream
	e.counter(d.streamConns, st.Accepted, "accepted")
	e.counter(d.streamConns, st.Dialed, "dialed")
	e.counter(d.streamConns, st.DialFailed, "dial_failed")
	e.counter(d.streamConns, st.Evicted, "evicted")
	e.counter(d.streamMsgsIn, st.MessagesIn)
	e.counter(d.streamMsgsOut, st.MessagesOut)
	e.counter(d.streamBytesIn, st.BytesIn)
	e.counter(d.streamBytesOut, st.BytesOut)
	for _, r := range []struct {
		reason string
		n      uint64
	}{
		{"not_member", s.StreamNotMember},
		{"bad_hello", st.BadHello},
		{"bad_version", st.BadVersion},
		{"bad_label", st.BadLabel},
		{"unencrypted", st.Unencrypted},
		{"decrypt_failed", st.DecryptFailed},
		{"tls_failed", st.TLSFailed},
		{"oversized", st.Oversized},
		{"truncated", st.Truncated},
		{"timeout", st.Timeouts},
	} {
		e.counter(d.streamsRefused, r.n, r.reason)
	}
	e.counter(d.reliableIn, s.ReliableIn)
	e.counter(d.reliableOut, s.ReliableOut)
	e.counter(d.stateExchanges, s.StateExchanges, "ok")
	e.counter(d.stateExchanges, s.StateExchangeFailures, "failed")
	e.counter(d.stateMerges, s.StateMerges, "merged")
	e.counter(d.stateMerges, s.StateMergesDropped, "dropped")
	e.counter(d.stateTooLarge, s.StateTooLarge)
}

// families: user messages per message family, named when registered.
func (e emitter) families(s runtime.Stats) {
	d := e.d
	names := runtime.RegisteredFamilies()
	family := func(f runtime.FamilyStats, label string) {
		e.counter(d.userSent, f.Sent, label, "direct")
		e.counter(d.userSent, f.Broadcast, label, "broadcast")
		e.counter(d.userReceived, f.Received-f.ReceivedBroadcast, label, "direct")
		e.counter(d.userReceived, f.ReceivedBroadcast, label, "broadcast")
		e.counter(d.userDropped, f.NoHandler, label, "no_handler")
		e.counter(d.userDropped, f.Overflow, label, "overflow")
		e.counter(d.userDropped, f.Undecodable, label, "undecodable")
	}
	for id, f := range s.Families {
		label, ok := names[id]
		if !ok {
			label = strconv.FormatUint(uint64(id), 10)
		}
		family(f, label)
	}
	family(s.OtherFamilies, "other")
	e.counter(d.userDropped, s.ShortMessages, "other", "short")
}

// timings: the histograms, in seconds.
func (e emitter) timings(s runtime.Stats) {
	d := e.d
	histogram := func(desc *prom.Desc, h runtime.Histogram) {
		bounds := runtime.TimingBounds()
		buckets := make(map[float64]uint64, len(bounds))
		for i, b := range bounds {
			buckets[b.Seconds()] = h.Buckets[i]
		}
		e.ch <- prom.MustNewConstHistogram(desc, h.Count, h.Sum.Seconds(), buckets)
	}
	histogram(d.probeRTT, s.Timings.ProbeRTT)
	histogram(d.syncDuration, s.Timings.Sync)
	histogram(d.joinDuration, s.Timings.Join)
	histogram(d.handlerDuration, s.Timings.Handler)
}
