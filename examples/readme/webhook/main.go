// Command webhook is the webhook receiver of README.md, verbatim: it
// verifies each message licgate sends with license/webhook and logs it.
package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/licgate/licgate/license/webhook"
)

func main() {
	secret := os.Getenv("LICGATE_WEBHOOK_SECRET") // whsec_… from "licgate webhook add"
	http.HandleFunc("POST /licgate", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secret, r.Header, body, time.Now(), 0); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var msg struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &msg); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		// webhook-id is the same on every retry: handle each ID once.
		log.Printf("%s %s %s", r.Header.Get("webhook-id"), msg.Type, msg.Data)
		w.WriteHeader(http.StatusNoContent)
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:9000", nil))
}
