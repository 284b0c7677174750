// Package ratelimit counts events per key in a sliding window, in memory,
// and names the network a request comes from, which is what per-address
// caps count.
package ratelimit

import (
	"net/netip"
	"sync"
	"time"
)

// MaxKeys bounds the keys a Limiter holds. Past it, after dropping keys
// with no event in the window, one key is forgotten for each new one:
// memory stays bounded when a caller rotates addresses, and forgetting
// gives a caller nothing its many addresses do not give it already.
const MaxKeys = 10_000

// Limiter counts events per key in a sliding window. It is in memory, for
// the caps where a restart forgetting the counts costs little next to a
// write on every request (code tries per network, staff password tries);
// the caps on mail count the sign-in requests in the database instead.
type Limiter struct {
	now func() time.Time

	mu     sync.Mutex
	events map[string][]time.Time
	swept  time.Time
}

// New returns a limiter reading the given clock.
func New(now func() time.Time) *Limiter {
	return &Limiter{now: now, events: map[string][]time.Time{}}
}

// Allow records an event for key unless limit events already happened in
// the last window; when refused it says how long until the next is allowed.
func (l *Limiter) Allow(key string, limit int, window time.Duration) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()

	now := l.now()
	if now.Sub(l.swept) > window {
		l.sweep(now, window)
	}

	recent := keepSince(l.events[key], now.Add(-window))
	if len(recent) >= limit {
		l.events[key] = recent
		return false, recent[0].Add(window).Sub(now)
	}
	if _, known := l.events[key]; !known && len(l.events) >= MaxKeys {
		if now.Sub(l.swept) > time.Second { // not a sweep per new key under a flood
			l.sweep(now, window)
		}
		for other := range l.events {
			if len(l.events) < MaxKeys {
				break
			}
			delete(l.events, other)
		}
	}
	l.events[key] = append(recent, now)
	return true, 0
}

// Keys is how many keys the limiter holds now.
func (l *Limiter) Keys() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

// sweep drops keys with no event in the window, so memory stays bounded
// by the traffic of one window.
func (l *Limiter) sweep(now time.Time, window time.Duration) {
	for key, times := range l.events {
		if recent := keepSince(times, now.Add(-window)); len(recent) == 0 {
			delete(l.events, key)
		} else {
			l.events[key] = recent
		}
	}
	l.swept = now
}

func keepSince(times []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(times) && !times[i].After(since) {
		i++
	}
	return times[i:]
}

// Network is what per-address caps count for ip: an IPv4 address as it
// is, an IPv6 address as its /64, the smallest network an ISP gives one
// customer (RFC 6177), inside which a client chooses addresses freely.
// Something that is no IP address is returned as it is.
func Network(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	prefix, _ := addr.Prefix(64)
	return prefix.String()
}
