package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// call is one request of a burst: a JSON POST of body, a GET as a
// signed-in caller when body is a get, or a plain GET when body is nil.
type call struct {
	path string
	body any
}

// get is the body of a call that reads, as the signed-in auth token.
type get struct{ auth string }

// burst is what one round of requests measured.
type burst struct {
	requests  int
	failures  int
	elapsed   time.Duration
	latencies []time.Duration // sorted
}

func (r burst) rate() float64 {
	return float64(r.requests-r.failures) / r.elapsed.Seconds()
}

// percentile is the latency that p percent of the requests stayed within.
func (r burst) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies))*p/100+0.999999) - 1
	return r.latencies[max(0, min(i, len(r.latencies)-1))]
}

// loader sends bursts of requests to one Portico. Every request comes
// from an address of its own, as a burst of sign-ins from clients' phones
// does; Portico sees it through X-Forwarded-For from a trusted proxy.
type loader struct {
	url    string
	client *http.Client
	nextIP atomic.Uint32

	mu       sync.Mutex
	failures map[string]int    // by route and status
	examples map[string]string // one answer body per kind of failure
}

func newLoader(url string) *loader {
	return &loader{
		url: url,
		client: &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				MaxIdleConns:        256,
				MaxIdleConnsPerHost: 256,
				DisableCompression:  true,
			},
		},
		failures: map[string]int{},
		examples: map[string]string{},
	}
}

// send makes every call once, from concurrency clients at a time, and times
// each answer. answer, if given, receives the body of each call that got
// status want.
func (l *loader) send(concurrency int, calls []call, want int, answer func(i int, body []byte)) burst {
	start := time.Now()
	latencies, failures := l.timeEach(concurrency, calls, want, answer)
	slices.Sort(latencies)
	return burst{
		requests:  len(calls),
		failures:  failures,
		elapsed:   time.Since(start),
		latencies: latencies,
	}
}

// timeEach is send's work: each call's time, in the order of calls, and
// how many did not get status want.
func (l *loader) timeEach(concurrency int, calls []call, want int, answer func(i int, body []byte)) ([]time.Duration, int) {
	latencies := make([]time.Duration, len(calls))
	var next, failures atomic.Int64
	var wg sync.WaitGroup
	for range min(concurrency, len(calls)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(calls) {
					return
				}
				began := time.Now()
				status, body, err := l.do(calls[i])
				latencies[i] = time.Since(began)
				if err != nil || status != want {
					failures.Add(1)
					l.noteFailure(calls[i].path, status, body, err)
					continue
				}
				if answer != nil {
					answer(i, body)
				}
			}
		})
	}
	wg.Wait()
	return latencies, int(failures.Load())
}

func (l *loader) do(c call) (int, []byte, error) {
	reading, isGet := c.body.(get)
	method, payload := http.MethodGet, io.Reader(nil)
	if !isGet && c.body != nil {
		encoded, err := json.Marshal(c.body)
		if err != nil {
			return 0, nil, err
		}
		method, payload = http.MethodPost, bytes.NewReader(encoded)
	}
	req, err := http.NewRequest(method, l.url+c.path, payload)
	if err != nil {
		return 0, nil, err
	}
	if isGet {
		req.Header.Set("Authorization", reading.auth)
	}
	n := l.nextIP.Add(1)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "portico-bench")
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255))
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

func (l *loader) noteFailure(path string, status int, body []byte, err error) {
	key := fmt.Sprintf("%s answered %d", path, status)
	example := string(body)
	if err != nil {
		key, example = path+" failed", err.Error()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures[key]++
	if _, ok := l.examples[key]; !ok {
		l.examples[key] = example
	}
}

// failureReport lists every unexpected answer, one line per kind.
func (l *loader) failureReport() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var lines []string
	for key, n := range l.failures {
		lines = append(lines, fmt.Sprintf("%d × %s, e.g. %.200s", n, key, l.examples[key]))
	}
	slices.Sort(lines)
	return lines
}
