package video_test

import (
	"strings"
	"testing"

	"portico/hooks/video"
)

// TestRelaySettingsFromTheEnvironment: each PORTICO_TURN_* and
// PORTICO_VIDEO_* variable lands where the relay reads it, and a mistake
// is one line naming the variable.
func TestRelaySettingsFromTheEnvironment(t *testing.T) {
	t.Run("the defaults", func(t *testing.T) {
		config := video.DefaultConfig()
		if err := video.ConfigFromEnv(&config); err != nil || config.TURNListen != "0.0.0.0:3478" || config.RelayMinPort != 49152 || config.RelayMaxPort != 49407 {
			t.Fatalf("with nothing set: %+v, %v; want every address on 3478 and relayed ports 49152-49407", config, err)
		}
	})
	t.Run("each variable", func(t *testing.T) {
		t.Setenv("PORTICO_TURN_LISTEN_IP", "127.0.0.1")
		t.Setenv("PORTICO_TURN_PORT", "5349")
		t.Setenv("PORTICO_TURN_RELAY_PORTS", "50000-50099")
		t.Setenv("PORTICO_TURN_PUBLIC_IP", "203.0.113.7")
		t.Setenv("PORTICO_VIDEO_RELAY_ONLY", "true")
		config := video.DefaultConfig()
		if err := video.ConfigFromEnv(&config); err != nil {
			t.Fatal(err)
		}
		if config.TURNListen != "127.0.0.1:5349" || config.RelayMinPort != 50000 || config.RelayMaxPort != 50099 || config.PublicIP != "203.0.113.7" || !config.RelayOnly {
			t.Fatalf("read %+v; want the relay on 127.0.0.1:5349, ports 50000-50099, announcing 203.0.113.7, relay only", config)
		}
	})
	for variable, value := range map[string]string{
		"PORTICO_TURN_LISTEN_IP":   "relay.example",
		"PORTICO_TURN_PORT":        "0",
		"PORTICO_TURN_RELAY_PORTS": "50099-50000",
		"PORTICO_TURN_PUBLIC_IP":   "2001:db8::7",
		"PORTICO_VIDEO_RELAY_ONLY": "sometimes",
	} {
		t.Run(variable+"="+value, func(t *testing.T) {
			t.Setenv(variable, value)
			config := video.DefaultConfig()
			err := video.ConfigFromEnv(&config)
			if err == nil || !strings.Contains(err.Error(), variable) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%s=%s: %v; want one line naming %s", variable, value, err, variable)
			}
		})
	}
}
