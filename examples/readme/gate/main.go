// Command gate is the gate example of README.md, verbatim: an API in its
// own process that lets a request through only with the activation token
// of a valid activation, checked against a licgate server elsewhere.
package main

import (
	"log"
	"net/http"
	"time"

	"github.com/licgate/licgate/middleware"
)

func main() {
	// Keys from the server's /.well-known/jwks.json, each activation's
	// state from its /v1/activation/status. In the server's process,
	// middleware.NewLocal(svc) takes both from the license.Service instead.
	gate, err := middleware.NewRemote("http://127.0.0.1:8080",
		middleware.WithIssuer("licgate"),        // the server's -issuer
		middleware.WithAudiences("acme-cad"),    // the products it accepts; none: any
		middleware.WithStateTTL(30*time.Second), // a revocation takes effect within this
		middleware.WithGracePeriod(time.Hour),   // serve the last good state through an outage
	)
	if err != nil {
		log.Fatal(err)
	}

	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, _ := middleware.FromContext(r.Context()) // g.Claims, g.State
		w.Write([]byte("hello, activation " + g.AID() + " of license " + g.State.LicenseID + "\n"))
	})
	mux := http.NewServeMux()
	mux.Handle("/api/", gate.Handler(api))
	mux.Handle("/api/render", gate.Require("render")(api))
	srv := &http.Server{Addr: "127.0.0.1:8090", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
