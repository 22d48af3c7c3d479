package webhook_test

import (
	"testing"
	"time"

	"github.com/licgate/licgate/license/webhook"
)

func BenchmarkSign(b *testing.B) {
	body := []byte(`{"type":"activation.created","timestamp":"2026-01-02T03:04:05.123456789Z","data":{"aid":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","licenseId":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c","computerId":"PC-42"}}`)
	ts := time.Unix(1767322800, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := webhook.Sign(vectorSecret, vectorID, ts, body); err != nil {
			b.Fatal(err)
		}
	}
}
