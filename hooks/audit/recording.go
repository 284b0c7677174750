//go:build !portico_notrail

package audit

// recording is true in every build of Portico; only the benchmark's
// baseline build (-tags portico_notrail) leaves the trail out, to measure
// what it costs. No flag or variable turns it off at run time.
const recording = true
