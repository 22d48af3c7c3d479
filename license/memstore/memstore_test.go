package memstore_test

import (
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) license.Store { return memstore.New() })
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, memstore.New())
}
