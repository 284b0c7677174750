//go:build portico_notrail

package audit

// recording is false in the benchmark's baseline build only.
const recording = false
