package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/middleware"
)

// demo returns a license service with one activation of a "demo" license
// granting "reports", and its activation token.
func demo() (*license.Service, license.Result) {
	ctx := context.Background()
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	svc, _ := license.NewService(memstore.New(), license.WithKeySet(ks),
		license.WithSecret([]byte(strings.Repeat("s", 32))))
	svc.CreateProduct(ctx, license.Product{ID: "demo", Name: "Demo", Major: 1})
	l, _ := svc.CreateLicense(ctx, license.NewLicense{
		ProductID: "demo", Customer: license.Customer{Email: "ada@example.com"}, Features: []string{"reports"},
	})
	res, _ := svc.ValidateKey(ctx, license.KeyValidation{Key: l.Key, ComputerID: "pc-1"})
	return svc, res
}

func get(h http.Handler, path, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// A gate in the same process as the license service: its keys verify the
// tokens, and it answers the state of activations.
func ExampleNew() {
	svc, _ := demo()
	gate, err := middleware.New(
		middleware.WithKeySet(svc.KeySet()),
		middleware.WithIssuer(svc.Issuer()),
		middleware.WithStateSource(svc),
		middleware.WithStateTTL(10*time.Second),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer gate.Close()
	fmt.Println("gate ready")
	// Output: gate ready
}

func ExampleGate_Handler() {
	svc, act := demo()
	gate, _ := middleware.New(middleware.WithKeySet(svc.KeySet()), middleware.WithStateSource(svc))
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, _ := middleware.FromContext(r.Context())
		fmt.Fprintf(w, "hello, licensee of %s (features %v)", g.State.ProductID, g.State.Features)
	})
	h := gate.Handler(hello)

	w := get(h, "/hello", "")
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	w = get(h, "/hello", act.Token)
	fmt.Println(w.Code, w.Body)
	svc.RevokeActivation(context.Background(), act.Activation.AID)
	fmt.Println(get(h, "/hello", act.Token).Code, "until the state TTL ends")
	// Output:
	// 401 Bearer
	// 200 hello, licensee of demo (features [reports])
	// 200 until the state TTL ends
}

func ExampleGate_Require() {
	svc, act := demo()
	gate, _ := middleware.New(middleware.WithKeySet(svc.KeySet()), middleware.WithStateSource(svc))
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux := http.NewServeMux()
	mux.Handle("/reports", gate.Require("reports")(ok))
	mux.Handle("/export", gate.Require("export")(ok))
	mux.Handle("/features/{name}", gate.RequireFunc(func(r *http.Request) []string {
		return []string{r.PathValue("name")}
	})(ok))

	for _, p := range []string{"/reports", "/export", "/features/reports", "/features/admin"} {
		w := get(mux, p, act.Token)
		answer := w.Body.String()
		if w.Code != http.StatusOK {
			var problem struct{ Reason string }
			json.Unmarshal(w.Body.Bytes(), &problem)
			answer = problem.Reason
		}
		fmt.Println(p, w.Code, answer)
	}
	// Output:
	// /reports 200 ok
	// /export 403 feature_missing
	// /features/reports 200 ok
	// /features/admin 403 feature_missing
}

// An ErrorHandler tells the refusals apart with errors.Is; the error's
// message is internal detail for logs.
func Example_errorChecking() {
	svc, act := demo()
	handle := func(w http.ResponseWriter, r *http.Request, err error) {
		switch {
		case errors.Is(err, middleware.ErrNoToken):
			fmt.Println("no token: ask the user to activate")
		case errors.Is(err, middleware.ErrTokenExpired):
			fmt.Println("token expired: refresh it")
		case errors.Is(err, middleware.ErrTokenMalformed), errors.Is(err, middleware.ErrTokenInvalid):
			fmt.Println("bad token")
		case errors.Is(err, license.ErrRevoked): // middleware.ErrRevoked matches it too
			fmt.Println("revoked")
		case errors.Is(err, middleware.ErrFeatureMissing):
			fmt.Println("upgrade needed")
		case errors.Is(err, middleware.ErrStateUnavailable):
			fmt.Println("license server unreachable")
		default:
			fmt.Println("refused:", middleware.Reason(err))
		}
		middleware.DefaultErrorHandler(w, r, err)
	}
	now := time.Now()
	clock := func() time.Time { return now }
	gate, _ := middleware.New(middleware.WithKeySet(svc.KeySet()), middleware.WithStateSource(svc),
		middleware.WithErrorHandler(handle), middleware.WithClock(clock))
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

	get(gate.Handler(ok), "/", "")
	get(gate.Handler(ok), "/", "not.a.token")
	get(gate.Require("export")(ok), "/", act.Token)
	svc.RevokeActivation(context.Background(), act.Activation.AID)
	now = now.Add(time.Minute)
	get(gate.Handler(ok), "/", act.Token)
	// Output:
	// no token: ask the user to activate
	// bad token
	// upgrade needed
	// revoked
}

// Handlers behind the gate read the grant; tests of such handlers put one
// in the context with NewContext.
func ExampleFromContext() {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, ok := middleware.FromContext(r.Context())
		if !ok {
			http.Error(w, "not behind the gate", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "activation %s, reports: %v", g.AID(), g.HasFeature("reports"))
	})
	var c license.Claims
	c.Subject = "c2396d75-3236-4ca6-9f10-682c62bdebfe"
	ctx := middleware.NewContext(context.Background(), middleware.Grant{
		Claims: c, State: license.State{Status: license.StatusActive, Features: []string{"reports"}},
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))
	fmt.Println(w.Body)
	// Output: activation c2396d75-3236-4ca6-9f10-682c62bdebfe, reports: true
}
