package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
)

// A deployment describes the node in MEMBERLIST_* variables; the profile
// picks the preset the others override. Variables without the prefix are
// ignored.
func ExampleConfigFromEnviron() {
	cfg, err := runtime.ConfigFromEnviron([]string{
		"MEMBERLIST_NAME=cache-1",
		"MEMBERLIST_PROFILE=wan",
		"MEMBERLIST_SEEDS=10.0.0.1:7946,10.0.0.2:7946",
		"MEMBERLIST_PROBE_INTERVAL=10s",
		"PATH=/usr/bin",
	})
	if err != nil {
		panic(err)
	}
	seeds, _ := cfg.Discovery.Seeds(context.Background())
	fmt.Println(cfg.Name, cfg.ProbeInterval, cfg.ProbeTimeout, cfg.GossipNodes, seeds)
	// Output: cache-1 10s 3s 4 [10.0.0.1:7946 10.0.0.2:7946]
}

// Every mistake is reported at once, each naming its variable and what it
// accepts; a misspelt variable is not ignored.
func ExampleConfigFromEnviron_errors() {
	_, err := runtime.ConfigFromEnviron([]string{
		"MEMBERLIST_NAME=cache-1",
		"MEMBERLIST_GOSIP_NODES=5",
		"MEMBERLIST_INDIRECT_CHECKS=20",
	})
	fmt.Println(errors.Is(err, runtime.ErrInvalidConfig))
	fmt.Println(err)
	// Output:
	// true
	// memberlist: invalid config: 2 problems:
	// 	unknown variable MEMBERLIST_GOSIP_NODES (did you mean MEMBERLIST_GOSSIP_NODES?); the known ones are listed in the documentation of ConfigFromEnv (go doc github.com/memberlist-go/memberlist/runtime.ConfigFromEnv)
	// 	MEMBERLIST_INDIRECT_CHECKS="20": want a decimal integer from 0 to 16, such as 3
}

// ConfigFromEnv reads the process environment, as a container's
// environment or a Kubernetes manifest sets it.
func ExampleConfigFromEnv() {
	os.Setenv("MEMBERLIST_NAME", "web-1")
	os.Setenv("MEMBERLIST_PROFILE", "local")
	os.Setenv("MEMBERLIST_LABEL", "staging")
	defer os.Unsetenv("MEMBERLIST_NAME")
	defer os.Unsetenv("MEMBERLIST_PROFILE")
	defer os.Unsetenv("MEMBERLIST_LABEL")

	cfg, err := runtime.ConfigFromEnv()
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Name, cfg.Label, cfg.ProbeTimeout)
	// Output: web-1 staging 200ms
}

// Validate says what is wrong with a Config built in code; Start calls it
// too.
func ExampleConfig_Validate() {
	cfg := runtime.DefaultLANConfig()
	cfg.Name = "node-1"
	cfg.ProbeTimeout = 2 * time.Second
	err := cfg.Validate()
	fmt.Println(errors.Is(err, runtime.ErrInvalidConfig))
	fmt.Println(err)
	// Output:
	// true
	// memberlist: invalid config: ProbeTimeout = 2s; want at most 4/5 of ProbeInterval (800ms), so that indirect probes fit in the rest of the period
}
