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
	"github.com/licgate/licgate/license/status"
	"github.com/licgate/licgate/middleware"
)

// demo returns a license service with one activation of a "demo" license
// granting "reports", and the result of that activation.
func demo() (*license.Service, license.Result) {
	ctx := context.Background()
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	svc, _ := license.NewService(memstore.New(), license.WithKeySet(ks),
		license.WithSecret([]byte(strings.Repeat("s", 32))))
	svc.CreateProduct(ctx, license.Product{ID: "demo", Name: "Demo", Major: 1})
	l, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "demo", Seats: 2, Features: []string{"reports"}})
	res, _ := svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: "pc-1"})
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

// reason returns the reason of a refusal, or the body of an answer.
func reason(w *httptest.ResponseRecorder) string {
	var p struct{ Reason string }
	if json.Unmarshal(w.Body.Bytes(), &p) == nil && p.Reason != "" {
		return p.Reason
	}
	return strings.TrimSpace(w.Body.String())
}

// A gate in the same process as the license service: the service's keys
// verify the tokens, and the service answers the state of activations.
func ExampleNewLocal() {
	svc, act := demo()
	gate, err := middleware.NewLocal(svc, middleware.WithStateTTL(10*time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") })
	h := gate.Handler(hello)
	fmt.Println(get(h, "/", act.Token).Code, reason(get(h, "/", act.Token)))
	fmt.Println(get(h, "/", "").Code, reason(get(h, "/", "")))
	// Output:
	// 200 hello
	// 401 token_missing
}

// A gate in another process than the licgate server: it verifies tokens
// with the server's public keys and asks the server's status endpoint for
// the state of activations.
func ExampleNewRemote() {
	// The license server, as licgate serve mounts it.
	svc, act := demo()
	st, _ := status.NewHandler(svc)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(svc.KeySet().JWKS())
	})
	mux.Handle("GET "+status.Path, st)
	server := httptest.NewServer(mux)
	defer server.Close()

	// The gated service, elsewhere.
	gate, err := middleware.NewRemote(server.URL,
		middleware.WithAudiences("demo"),
		middleware.WithGracePeriod(time.Hour),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer gate.Close()
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, _ := middleware.FromContext(r.Context())
		fmt.Fprintf(w, "hello, licensee of %s", g.State.ProductID)
	})
	w := get(gate.Handler(hello), "/", act.Token)
	fmt.Println(w.Code, w.Body)
	// Output: 200 hello, licensee of demo
}

// A service on a machine that cannot reach the license server gates itself
// with the machine's license file: the file's token, verified with the
// keys in the file, which must be among the server's keys built into the
// service, and no state to ask for. It serves until the token expires.
func ExampleNewOffline() {
	svc, act := demo()
	// On a connected machine: the offline machine's request file, and the
	// license file the server answers it with.
	req, _ := license.NewOfflineRequest(act.License.Key, "offline-pc", "", time.Now())
	issued, err := svc.ActivateOffline(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	data, _ := json.Marshal(issued)
	// The thumbprints of the server's keys, which the vendor builds into
	// the service: the kid of each key of the server's JWKS. Without them
	// neither the file nor the gate can be trusted, since anyone can sign
	// a file with a key of their own.
	var jwks struct{ Keys []struct{ Kid string } }
	json.Unmarshal(svc.KeySet().JWKS(), &jwks)
	var serverKeys []string
	for _, k := range jwks.Keys {
		serverKeys = append(serverKeys, k.Kid)
	}

	// On the offline machine.
	now := time.Now()
	file, err := license.ParseOfflineLicense(data)
	if err == nil {
		_, err = file.Verify("offline-pc", now, serverKeys...) // the server signed it for this machine
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	gate, err := middleware.NewOffline(file,
		middleware.WithPinnedKeys(serverKeys...),
		middleware.WithAudiences("demo"),
		middleware.WithClock(func() time.Time { return now }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	h := gate.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, _ := middleware.FromContext(r.Context())
		fmt.Fprintf(w, "hello, licensee of %s (features %v)", g.State.ProductID, g.State.Features)
	}))
	fmt.Println(get(h, "/", "").Code, reason(get(h, "/", "")))
	now = file.ExpiresAt // until a renewed file replaces this one
	fmt.Println(get(h, "/", "").Code, reason(get(h, "/", "")))
	// Output:
	// 200 hello, licensee of demo (features [reports])
	// 401 token_expired
}

// New gives full control: here the keys of the service, but the state
// from a source of one's own.
func ExampleNew() {
	svc, act := demo()
	src := stateFunc(func(ctx context.Context, aid string) (license.State, error) {
		st, err := svc.ActivationState(ctx, aid)
		// … record the lookup, consult another system …
		return st, err
	})
	gate, err := middleware.New(
		middleware.WithKeySet(svc.KeySet()),
		middleware.WithIssuer(svc.Issuer()),
		middleware.WithStateSource(src),
		middleware.WithCookieToken("activation"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: "activation", Value: act.Token})
	w := httptest.NewRecorder()
	gate.Handler(http.NotFoundHandler()).ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output: 404
}

// stateFunc is a func-type middleware.StateSource.
type stateFunc func(ctx context.Context, aid string) (license.State, error)

func (f stateFunc) ActivationState(ctx context.Context, aid string) (license.State, error) {
	return f(ctx, aid)
}

// A verifier built elsewhere carries its own keys, issuer, audiences and
// clock.
func ExampleWithVerifier() {
	svc, act := demo()
	v, _ := license.NewVerifier(license.VerifierConfig{
		Keyfunc: svc.KeySet().Keyfunc, Issuer: svc.Issuer(), Audiences: []string{"demo"},
	})
	gate, err := middleware.New(middleware.WithVerifier(v), middleware.WithStateSource(svc))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(get(gate.Handler(http.NotFoundHandler()), "/", act.Token).Code)
	// Output: 404
}

// A browser asks before a cross-origin request with an Authorization
// header, without credentials; the gate lets the question through to the
// CORS handler behind it, and gates the request itself.
func ExampleWithCORSPreflight() {
	svc, act := demo()
	gate, _ := middleware.NewLocal(svc, middleware.WithCORSPreflight())
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "https://app.example")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Headers", "Authorization")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		fmt.Fprint(w, "data")
	})
	h := gate.Handler(api)

	r := httptest.NewRequest(http.MethodOptions, "/api", nil)
	r.Header.Set("Origin", "https://app.example")
	r.Header.Set("Access-Control-Request-Method", "GET")
	r.Header.Set("Access-Control-Request-Headers", "authorization")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println("preflight:", w.Code)

	r = httptest.NewRequest(http.MethodGet, "/api", nil)
	r.Header.Set("Origin", "https://app.example")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println("without a token:", w.Code)
	fmt.Println("with one:", get(h, "/api", act.Token).Code)
	// Output:
	// preflight: 204
	// without a token: 401
	// with one: 200
}

func ExampleGate_Handler() {
	svc, act := demo()
	gate, _ := middleware.NewLocal(svc)
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
	gate, _ := middleware.NewLocal(svc)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux := http.NewServeMux()
	mux.Handle("/reports", gate.Require("reports")(ok))
	mux.Handle("/export", gate.Require("export")(ok))
	mux.Handle("/features/{name}", gate.RequireFunc(func(r *http.Request) []string {
		return []string{r.PathValue("name")}
	})(ok))

	for _, p := range []string{"/reports", "/export", "/features/reports", "/features/admin"} {
		w := get(mux, p, act.Token)
		fmt.Println(p, w.Code, reason(w))
	}
	// Output:
	// /reports 200 ok
	// /export 403 feature_missing
	// /features/reports 200 ok
	// /features/admin 403 feature_missing
}

// An ErrorHandler tells the refusals apart with errors.Is; the error's
// message is internal detail for logs. A revoked license is not a revoked
// activation.
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
		case errors.Is(err, middleware.ErrActivationRevoked):
			fmt.Println("this computer's activation was revoked")
		case errors.Is(err, license.ErrLicenseRevoked): // middleware.ErrLicenseRevoked matches it
			fmt.Println("the whole license was revoked")
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
	gate, _ := middleware.NewLocal(svc, middleware.WithErrorHandler(handle), middleware.WithClock(clock))
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	ctx := context.Background()

	get(gate.Handler(ok), "/", "")
	get(gate.Handler(ok), "/", "not.a.token")
	get(gate.Require("export")(ok), "/", act.Token)
	svc.RevokeActivation(ctx, act.Activation.AID)
	now = now.Add(time.Minute)
	get(gate.Handler(ok), "/", act.Token)
	other, _ := svc.Activate(ctx, license.ActivationRequest{LicenseID: act.License.ID, ComputerID: "pc-2"})
	svc.SetLicenseStatus(ctx, act.License.ID, license.StatusRevoked)
	get(gate.Handler(ok), "/", other.Token)
	// Output:
	// no token: ask the user to activate
	// bad token
	// upgrade needed
	// this computer's activation was revoked
	// the whole license was revoked
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
