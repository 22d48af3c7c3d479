package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/webhook"
)

// A message is signed with the webhook's secret and checked by the
// receiver; any change to it fails the check.
func Example() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // from webhook.NewSecret
	e := license.Event{
		ID:   "0196a5b0-5e00-7000-8000-000000000001",
		At:   time.Date(2026, 5, 6, 7, 8, 9, 500, time.UTC),
		Type: license.EventActivationCreated,
		Data: json.RawMessage(`{"aid":"0196a5b0-5e00-7000-8000-000000000002"}`),
	}
	body, err := webhook.Payload(e)
	if err != nil {
		fmt.Println(err)
		return
	}
	sent := time.Unix(1778051289, 0)
	sig, err := webhook.Sign(secret, e.ID, sent, body)
	if err != nil {
		fmt.Println(err)
		return
	}
	h := http.Header{}
	h.Set(webhook.HeaderID, e.ID)
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(sent.Unix(), 10))
	h.Set(webhook.HeaderSignature, sig)
	fmt.Println(string(body))
	fmt.Println(sig)

	received := sent.Add(2 * time.Second)
	fmt.Println("authentic:", webhook.Verify(secret, h, body, received, 5*time.Minute) == nil)

	tampered := append(body[:len(body):len(body)], ' ')
	fmt.Println("tampered:", errors.Is(webhook.Verify(secret, h, tampered, received, 5*time.Minute), webhook.ErrBadSignature))
	fmt.Println("replayed an hour later:", errors.Is(webhook.Verify(secret, h, body, received.Add(time.Hour), 5*time.Minute), webhook.ErrOutsideTolerance))
	// Output:
	// {"type":"activation.created","timestamp":"2026-05-06T07:08:09.0000005Z","data":{"aid":"0196a5b0-5e00-7000-8000-000000000002"}}
	// v1,gO4Z/rp7tdBFrSSMSo1lxC0dcw8SIbDJ90o4KHQa2J8=
	// authentic: true
	// tampered: true
	// replayed an hour later: true
}

// A receiver checks each message before it acts on it, and answers 2xx
// once it has taken it; the same webhook-id may come again.
func ExampleVerify() {
	secret, _ := webhook.NewSecret()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := webhook.Verify(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, "not signed", http.StatusUnauthorized)
			return
		}
		// Drop a webhook-id already handled, act on the rest, then:
		w.WriteHeader(http.StatusNoContent)
	})

	body := []byte(`{"type":"license.created","timestamp":"2026-05-06T07:08:09Z","data":{}}`)
	now := time.Now()
	sig, _ := webhook.Sign(secret, "evt-1", now, body)
	for _, s := range []string{sig, "v1,Zm9yZ2Vk"} {
		r := httptest.NewRequest(http.MethodPost, "/hooks/licgate", bytesReader(body))
		r.Header.Set(webhook.HeaderID, "evt-1")
		r.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		r.Header.Set(webhook.HeaderSignature, s)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	// Output:
	// 204
	// 401
}

// A dispatcher delivers the events a store's outbox holds; the service
// wakes it after each event it commits.
func ExampleNew() {
	got := make(chan string, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get(webhook.HeaderID)
	}))
	defer receiver.Close()

	st := memstore.New()
	secret, _ := webhook.NewSecret()
	now := time.Now()
	hook := license.Webhook{ID: "0196a5b0-5e00-7000-8000-00000000000a", URL: receiver.URL, Secret: secret, CreatedAt: now}
	created := license.Event{ID: "0196a5b0-5e00-7000-8000-00000000000b", At: now, Type: license.EventWebhookCreated, Outcome: "ok"}
	if err := st.CreateWebhook(context.Background(), hook, created); err != nil {
		fmt.Println(err)
		return
	}

	results := make(chan license.DeliveryState, 1)
	d, err := webhook.New(st, webhook.WithResultHook(func(_ license.Attempt, s license.DeliveryState) {
		results <- s // count it in a metric
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan error)
	go func() { stopped <- d.Run(ctx) }()

	e := license.Event{ID: "0196a5b0-5e00-7000-8000-00000000000c", At: time.Now(), Type: license.EventLicenseCreated,
		Outcome: "ok", Data: json.RawMessage(`{"id":"l1"}`)}
	if err := st.Record(ctx, e); err != nil {
		fmt.Println(err)
		return
	}
	d.Wake()
	fmt.Println("received", <-got)
	fmt.Println("delivery", <-results)
	as, _ := st.Attempts(ctx, hook.ID, license.Page{Limit: 10})
	for _, a := range as {
		fmt.Println("attempt", a.Number, a.StatusCode, a.OK)
	}
	cancel()
	fmt.Println("stopped:", <-stopped)
	// Output:
	// received 0196a5b0-5e00-7000-8000-00000000000c
	// delivery delivered
	// attempt 1 200 true
	// stopped: <nil>
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
