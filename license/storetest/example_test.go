package storetest_test

import (
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/storetest"
)

// A Store implementation runs the suite from its own test, opening a new,
// empty store for each subtest. (This example only compiles: it needs the
// *testing.T of a test.)
func ExampleRun() {
	var t *testing.T // the test's
	storetest.Run(t, func(t *testing.T) license.Store {
		return memstore.New()
	})
}

// Benchmarks of a store's hot paths, from its own benchmark function.
func ExampleBench() {
	var b *testing.B // the benchmark's
	storetest.Bench(b, memstore.New())
}
