package notify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

func TestLog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	n, err := NewLog(slog.New(slog.NewJSONHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m := license.Message{
		Channel: license.ChannelSMS, To: "+14155550100",
		Product: license.Product{ID: "editor", Name: "Acme Editor"}, Code: "042137", TTL: time.Hour,
	}
	if err := n.Notify(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"msg":"authorization code"`, `"channel":"sms"`, `"to":"+14155550100"`,
		`"product":"editor"`, `"code":"042137"`, `"ttl":3600000000000`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("record %s lacks %s", buf.String(), want)
		}
	}
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Errorf("%d records, want 1", n)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := n.Notify(ctx, m); !errors.Is(err, context.Canceled) {
		t.Errorf("Notify with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := NewLog(nil); !errors.Is(err, ErrBadOption) {
		t.Errorf("NewLog(nil) = %v, want ErrBadOption", err)
	}
}
