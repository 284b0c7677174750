package main

import (
	"fmt"
	"log"
	"os"
	"sync"

	"portico/internal/testenv"
)

// benchTB lets the benchmark use internal/testenv outside `go test`: it
// is a testenv.TB, the few methods the kit calls.
type benchTB struct {
	mu       sync.Mutex
	cleanups []func()
	closing  sync.Once
}

func (t *benchTB) Helper() {}

func (t *benchTB) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

func (t *benchTB) TempDir() string {
	dir, err := os.MkdirTemp("", "portico-bench-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func (t *benchTB) Logf(format string, args ...any)   { log.Printf(format, args...) }
func (t *benchTB) Errorf(format string, args ...any) { log.Printf("error: "+format, args...) }
func (t *benchTB) Fatal(args ...any)                 { t.fail(fmt.Sprint(args...)) }
func (t *benchTB) Fatalf(format string, args ...any) { t.fail(fmt.Sprintf(format, args...)) }

// fail stops the benchmark: nothing measured after a failure is worth printing.
func (t *benchTB) fail(message string) {
	log.Printf("bench: %s", message)
	t.close()
	os.Exit(1)
}

// close runs the cleanups, newest first, as the testing package does.
func (t *benchTB) close() {
	t.closing.Do(func() {
		t.mu.Lock()
		cleanups := t.cleanups
		t.cleanups = nil
		t.mu.Unlock()
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	})
}

// The benchmark runner is a test kit TB.
var _ testenv.TB = (*benchTB)(nil)
