//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var screenshot = flag.String("screenshot", "", "write the member page's screenshot to this PNG file (make screenshot: docs/img/member-page.png)")

// pageEnv is the protocol settings of the page test's processes: the
// local profile with 200 ms probes, so that a kill shows within seconds.
// Suspicion at 3 members lasts SuspicionMult (3) periods, 0.6 s, and at
// most SuspicionMaxTimeoutMult (6) times that.
var pageEnv = []string{
	"MEMBERLIST_PROFILE=local",
	"MEMBERLIST_PROBE_INTERVAL=200ms",
	"MEMBERLIST_PROBE_TIMEOUT=100ms",
	"MEMBERLIST_GOSSIP_INTERVAL=50ms",
}

// pageDetectBound is how long the test waits for the page to show the
// killed member dead: a probe round of the two others (2 periods), the
// longest suspicion (6 × 0.6 s), gossip and a page refresh (1 s), with
// room for a machine that is busy.
const pageDetectBound = 2*200*time.Millisecond + 3600*time.Millisecond + 2*time.Second + 10*time.Second

// The member page (runtime/httpapi, served by a chaos process's -http) in
// a real headless browser, Debian's chromium, against three chaos
// processes on loopback: the table shows the three alive with their
// address, incarnation, metadata and last change; it fits a phone's width
// as cards; and when one process is killed its row turns dead. The
// screenshot goes to -screenshot (make screenshot writes the README's).
func TestMemberPageInBrowser(t *testing.T) {
	browser := findChromium(t)

	bin := filepath.Join(t.TempDir(), "chaos")
	build := exec.Command("go", "build", "-o", bin, "github.com/memberlist-go/memberlist/examples/chaos")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build chaos: %s", out)

	udp := freePorts(t, "udp", 3)
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePorts(t, "tcp", 1)[0])
	seed := fmt.Sprintf("127.0.0.1:%d", udp[0])
	procs := make([]*exec.Cmd, 3)
	for i := range 3 {
		args := []string{"-name", fmt.Sprintf("node-%d", i+1), "-bind", fmt.Sprintf("127.0.0.1:%d", udp[i])}
		if i == 0 {
			args = append(args, "-http", httpAddr)
		} else {
			args = append(args, "-seeds", seed)
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), pageEnv...)
		cmd.Env = append(cmd.Env, fmt.Sprintf("MEMBERLIST_META=zone=eu-west-1%c role=cache", 'a'+i))
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		require.NoError(t, cmd.Start())
		procs[i] = cmd
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("node-%d's output:\n%s", i+1, log.String())
			}
		})
	}

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Headless,
		chromedp.NoSandbox, // chromium refuses to run as root with its sandbox
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(960, 300),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelTimeout()

	// Every exception the page throws is a failure.
	var mu sync.Mutex
	var jsErrors []string
	messages := chromedp.Console(ctx)
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() {
				mu.Lock()
				jsErrors = append(jsErrors, m.String())
				mu.Unlock()
			}
		}
	}()
	defer func() { cancel(); <-consoleDone }()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("http://"+httpAddr+"/")))

	// Three alive members, each with everything the page promises.
	rows := waitRows(t, ctx, "three alive members", 30*time.Second, func(rs []pageRow) bool {
		return len(rs) == 3 && countState(rs, "alive") == 3
	})
	for i, r := range rows {
		assert.Equal(t, fmt.Sprintf("node-%d", i+1), r.Name)
		assert.Equal(t, fmt.Sprintf("127.0.0.1:%d", udp[i]), r.Addr)
		assert.Regexp(t, `^\d+$`, r.Incarnation)
		assert.Equal(t, fmt.Sprintf("zone=eu-west-1%c role=cache", 'a'+i), r.Meta)
		assert.Regexp(t, `^\d+s ago$`, r.Since)
	}
	assert.Equal(t, "this node", rows[0].You)
	assert.Equal(t, "3 alive · as node-1 sees it", text(t, ctx, "summary"))

	// A phone's width: no sideways scrolling, every field still shown,
	// each member a card.
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 600, chromedp.EmulateScale(2), chromedp.EmulateMobile)))
	layout, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		ScrollWidth, InnerWidth int
		Display                 string
		Labels                  []string
	}](`({
			ScrollWidth: document.documentElement.scrollWidth,
			InnerWidth: window.innerWidth,
			Display: getComputedStyle(document.querySelector("#rows tr")).display,
			Labels: Array.from(document.querySelectorAll("#rows tr:first-child td")).map(td => getComputedStyle(td, "::before").content),
		})`))
	require.NoError(t, err)
	assert.LessOrEqual(t, layout.ScrollWidth, layout.InnerWidth, "the page scrolls sideways on a phone")
	assert.Equal(t, "block", layout.Display, "rows are cards on a phone")
	assert.Equal(t, []string{`"Name"`, `"State"`, `"Address"`, `"Incarnation"`, `"Metadata"`, `"Last change"`}, layout.Labels)
	phone := capture(t, ctx)

	// Kill node-3: its row turns dead; the others stay alive.
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(960, 260, chromedp.EmulateScale(2))))
	killed := time.Now()
	require.NoError(t, procs[2].Process.Signal(syscall.SIGKILL))
	rows = waitRows(t, ctx, "node-3 dead on the page", pageDetectBound, func(rs []pageRow) bool {
		return len(rs) == 3 && rs[2].State == "dead"
	})
	t.Logf("node-3 shown dead %v after the kill (bound %v)", time.Since(killed).Round(time.Millisecond), pageDetectBound)
	assert.Equal(t, "alive", rows[0].State)
	assert.Equal(t, "alive", rows[1].State)
	assert.Equal(t, "2 alive · 1 dead · as node-1 sees it", text(t, ctx, "summary"))
	desktop := capture(t, ctx)
	mu.Lock()
	assert.Empty(t, jsErrors, "the page threw")
	mu.Unlock()

	for name, shot := range map[string][]byte{"desktop": desktop, "phone": phone} {
		img, err := png.Decode(bytes.NewReader(shot))
		require.NoError(t, err, name)
		t.Logf("%s screenshot: %v", name, img.Bounds().Size())
	}
	if *screenshot != "" {
		require.NoError(t, os.WriteFile(*screenshot, desktop, 0o644))
		phonePath := strings.TrimSuffix(*screenshot, ".png") + "-phone.png"
		require.NoError(t, os.WriteFile(phonePath, phone, 0o644))
		t.Logf("wrote %s and %s", *screenshot, phonePath)
	}
}

// pageRow is one row of the member table as the browser shows it.
type pageRow struct {
	Name, You, State, Addr, Incarnation, Meta, Since string
}

// waitRows reads the table until cond holds, or fails after within.
func waitRows(t *testing.T, ctx context.Context, what string, within time.Duration, cond func([]pageRow) bool) []pageRow {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]pageRow](`Array.from(document.querySelectorAll("#rows tr")).map(tr => {
			const td = tr.querySelectorAll("td");
			const you = td[0].querySelector(".you");
			return {
				Name: tr.dataset.name,
				You: you ? you.textContent : "",
				State: tr.dataset.state,
				Addr: td[2].textContent,
				Incarnation: td[3].textContent,
				Meta: td[4].textContent,
				Since: td[5].textContent,
			};
		})`))
		require.NoError(t, err)
		if cond(rows) {
			return rows
		}
		require.False(t, time.Now().After(deadline), "%s: not within %v; the table shows %+v", what, within, rows)
		time.Sleep(200 * time.Millisecond)
	}
}

func countState(rows []pageRow, state string) int {
	n := 0
	for _, r := range rows {
		if r.State == state {
			n++
		}
	}
	return n
}

// capture takes a screenshot of the whole page, as PNG.
func capture(t *testing.T, ctx context.Context) []byte {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	return b
}

// text is the text of the element with the given id.
func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("`+id+`").textContent`))
	require.NoError(t, err)
	return s
}

// findChromium returns Debian's chromium, or skips: `make e2e` and CI
// install it (apt-get install chromium).
func findChromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH: apt-get install chromium")
	return ""
}

// freePorts returns n ports that were free on 127.0.0.1 a moment ago. A
// "udp" port was free for TCP too: a node binds both on one port number,
// and a UDP port whose number a TCP connection held made a node fail to
// start (CI, once).
func freePorts(t *testing.T, network string, n int) []int {
	t.Helper()
	var ports []int
	var closers []func() error
	for tries := 0; len(ports) < n; tries++ {
		require.Less(t, tries, 100, "no port free for both UDP and TCP")
		if network == "udp" {
			c, err := net.ListenPacket("udp", "127.0.0.1:0")
			require.NoError(t, err)
			port := c.LocalAddr().(*net.UDPAddr).Port
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				_ = c.Close()
				continue // taken for TCP: another
			}
			ports = append(ports, port)
			closers = append(closers, c.Close, l.Close)
		} else {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			ports = append(ports, l.Addr().(*net.TCPAddr).Port)
			closers = append(closers, l.Close)
		}
	}
	for _, c := range closers {
		_ = c()
	}
	return ports
}
