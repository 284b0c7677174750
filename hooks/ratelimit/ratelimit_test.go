package ratelimit_test

import (
	"fmt"
	"testing"
	"time"

	"portico/hooks/ratelimit"
)

// TestLimiterStaysBoundedUnderRotation: a sender that rotates addresses
// (keys) within one window does not grow the limiter without end.
func TestLimiterStaysBoundedUnderRotation(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	limits := ratelimit.New(func() time.Time { return now })
	for i := range 10 * ratelimit.MaxKeys {
		if ok, _ := limits.Allow(fmt.Sprintf("code-network:2001:db8:%x::/64", i), 60, 15*time.Minute); !ok {
			t.Fatalf("the first try of key %d was refused", i)
		}
		now = now.Add(time.Millisecond)
	}
	if keys := limits.Keys(); keys > ratelimit.MaxKeys {
		t.Errorf("the limiter holds %d keys after %d rotated within one window; want at most %d", keys, 10*ratelimit.MaxKeys, ratelimit.MaxKeys)
	}

	// A key that keeps sending is still counted.
	for range 60 {
		limits.Allow("code-network:192.0.2.1", 60, 15*time.Minute)
	}
	if ok, wait := limits.Allow("code-network:192.0.2.1", 60, 15*time.Minute); ok || wait <= 0 {
		t.Errorf("the 61st try in a window: allowed %v, wait %s; want refused with a wait", ok, wait)
	}
}

func TestNetwork(t *testing.T) {
	for ip, want := range map[string]string{
		"192.0.2.7":                      "192.0.2.7",
		"::ffff:192.0.2.7":               "192.0.2.7",
		"2001:db8:1:2::1":                "2001:db8:1:2::/64",
		"2001:0db8:0001:0002:abcd:0:0:9": "2001:db8:1:2::/64",
		"not an address":                 "not an address",
	} {
		if got := ratelimit.Network(ip); got != want {
			t.Errorf("Network(%q) = %q; want %q", ip, got, want)
		}
	}
}
