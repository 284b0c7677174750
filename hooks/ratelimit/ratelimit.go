// Package ratelimit counts events per key in a sliding window, in memory.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter counts events per key in a sliding window. It is in memory:
// Portico is one process, and a restart forgetting counts costs little
// next to a write on every sign-in request.
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
	l.events[key] = append(recent, now)
	return true, 0
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
