package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/client"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/rest"
)

// keyIDs returns the IDs of the server's keys, the thumbprints a program
// pins: the "kid" of each key its /.well-known/jwks.json lists.
func keyIDs(svc *license.Service) []string {
	var jwks struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	json.Unmarshal(svc.KeySet().JWKS(), &jwks)
	var ids []string
	for _, k := range jwks.Keys {
		ids = append(ids, k.Kid)
	}
	return ids
}

// startServer runs a licgate server in the process, as a vendor's would
// run on the internet: the license service on memory, its JSON protocol
// for programs on a loopback HTTP server. It has one product, "cad".
func startServer() (*httptest.Server, *license.Service) {
	key, _ := license.GenerateSigningKey()
	keys, _ := license.NewKeySet(key)
	svc, _ := license.NewService(memstore.New(), license.WithKeySet(keys),
		license.WithSecret([]byte("a secret of at least thirty-two bytes")))
	svc.CreateProduct(context.Background(), license.Product{ID: "cad", Name: "Acme CAD", Major: 3})
	h, _ := rest.NewHandler(svc)
	return httptest.NewServer(h), svc
}

// A program activates with the key its user typed, and finds its token
// again at its next start. A gate verifies the token with the server's
// public keys.
func ExampleClient_Activate() {
	srv, svc := startServer()
	defer srv.Close()
	ctx := context.Background()
	lic, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "cad", Seats: 1})

	dir, _ := os.MkdirTemp("", "acme-cad")
	defer os.RemoveAll(dir)
	c, _ := client.New(srv.URL, client.WithDir(dir))
	a, err := c.Activate(ctx, lic.Key, "pc-1", "Ann's workstation")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("activated; existing:", a.Existing)

	// The next start of the program.
	c, _ = client.New(srv.URL, client.WithDir(dir))
	token, err := c.Token()
	switch {
	case errors.Is(err, client.ErrNotActivated):
		fmt.Println("ask the user for a key")
	case err != nil:
		fmt.Println(err)
	default:
		v, _ := license.NewVerifier(license.VerifierConfig{Keyfunc: svc.KeySet().Keyfunc, Issuer: svc.Issuer(), Audiences: []string{"cad"}})
		claims, err := v.Verify(token)
		fmt.Println("token verified:", err == nil, "for", claims.ComputerID)
	}

	// Another computer with the same key finds no seat left.
	_, err = c.Activate(ctx, lic.Key, "pc-2", "")
	var p *client.ProblemError
	switch {
	case errors.Is(err, license.ErrNoSeats):
		fmt.Println("pc-2: no seat left")
	case errors.As(err, &p):
		fmt.Println("refused:", p.Status, p.Reason, p.Detail)
	case err != nil:
		fmt.Println("no answer:", err)
	}
	// Output:
	// activated; existing: false
	// token verified: true for pc-1
	// pc-2: no seat left
}

// A program holds a seat of a floating license while it runs: Keep sends
// heartbeats until the program's context ends, then gives the seat back.
func ExampleClient_Lease() {
	srv, svc := startServer()
	defer srv.Close()
	ctx := context.Background()
	lic, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "cad", Seats: 1, Floating: true, LeaseTTL: time.Minute})

	c, _ := client.New(srv.URL)
	lease, err := c.Lease(ctx, lic.Key, "build-agent-7/pid-4242", "build agent 7")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("leased until", lease.ExpiresAt().Sub(svc.Now()).Round(time.Minute), "unless renewed")

	// While it is held, no other instance gets a seat.
	if _, err := c.Lease(ctx, lic.Key, "build-agent-8/pid-99", ""); errors.Is(err, license.ErrNoSeats) {
		fmt.Println("build agent 8: no seat")
	}

	// The program's run: in a real program, until a signal
	// (signal.NotifyContext) or the end of its work.
	run, stop := context.WithTimeout(ctx, 100*time.Millisecond)
	defer stop()
	switch err := lease.Keep(run); {
	case errors.Is(err, client.ErrLeaseLost):
		fmt.Println("lease lost; stop working:", err)
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println("run over; lease given back")
	}

	if _, err := c.Lease(ctx, lic.Key, "build-agent-8/pid-99", ""); err == nil {
		fmt.Println("build agent 8: seat taken")
	}
	// Output:
	// leased until 1m0s unless renewed
	// build agent 8: no seat
	// run over; lease given back
	// build agent 8: seat taken
}

// The computer with no network writes a request file; a computer with
// network sends it to the server and gets the license file back.
func ExampleNewOfflineRequest() {
	srv, svc := startServer()
	defer srv.Close()
	ctx := context.Background()
	lic, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "cad", Seats: 1})

	// On the offline computer.
	request, err := client.NewOfflineRequest(lic.Key, "lab-pc-3", "lab PC 3")
	if err != nil {
		fmt.Println(err)
		return
	}
	lines := strings.SplitN(string(request), "\n", 3)
	fmt.Println(lines[0])
	fmt.Println(lines[1])

	// On a computer with network, from the file carried over.
	online, _ := client.New(srv.URL)
	file, err := online.Offline(ctx, request)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, _ := license.ParseOfflineLicense(file)
	fmt.Println("license file for", f.ComputerID, "of", f.ProductID)
	// Output:
	// {
	//   "format": "licgate-offline-request",
	// license file for lab-pc-3 of cad
}

// The offline computer loads the license file carried back, with no
// network: the keys that verify it are inside. A file for another
// computer is refused.
func ExampleClient_LoadLicenseFile() {
	srv, svc := startServer()
	defer srv.Close()
	ctx := context.Background()
	lic, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "cad", Seats: 2, Features: []string{"render"}})
	online, _ := client.New(srv.URL)
	request, _ := client.NewOfflineRequest(lic.Key, "lab-pc-3", "")
	file, _ := online.Offline(ctx, request)

	// On the offline computer: no server URL, and the server's keys built
	// into the program.
	dir, _ := os.MkdirTemp("", "acme-cad")
	defer os.RemoveAll(dir)
	offline, _ := client.New("", client.WithDir(dir), client.WithPinnedKeys(keyIDs(svc)...))
	_, claims, err := offline.LoadLicenseFile(file, "lab-pc-3")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("licensed; render:", claims.HasFeature("render"))

	// The same file copied to another computer.
	_, _, err = offline.LoadLicenseFile(file, "lab-pc-4")
	switch {
	case errors.Is(err, license.ErrComputerMismatch):
		fmt.Println("lab-pc-4: the file is for another computer")
	case errors.Is(err, license.ErrToken):
		fmt.Println("lab-pc-4: forged or expired")
	case errors.Is(err, client.ErrClockMovedBack):
		fmt.Println("lab-pc-4: fix the clock")
	}
	// Output:
	// licensed; render: true
	// lab-pc-4: the file is for another computer
}

// Setting the clock back to stretch an offline license fails: the client
// remembers the latest time it saw, across restarts, in its state
// directory.
func ExampleClockError() {
	srv, svc := startServer()
	defer srv.Close()
	ctx := context.Background()
	lic, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "cad", Seats: 1})
	online, _ := client.New(srv.URL)
	request, _ := client.NewOfflineRequest(lic.Key, "lab-pc-3", "")
	file, _ := online.Offline(ctx, request)

	// The offline computer's clock, which its user can set.
	clock := time.Now()
	dir, _ := os.MkdirTemp("", "acme-cad")
	defer os.RemoveAll(dir)
	load := func() error {
		c, _ := client.New("", client.WithDir(dir), client.WithPinnedKeys(keyIDs(svc)...),
			client.WithClock(func() time.Time { return clock }))
		_, _, err := c.LoadLicenseFile(file, "lab-pc-3")
		return err
	}

	clock = clock.Add(89 * 24 * time.Hour) // a day before the file expires
	fmt.Println("day 89:", load())
	clock = clock.Add(-60 * 24 * time.Hour) // set back two months
	err := load()
	var ce *client.ClockError
	if errors.As(err, &ce) {
		fmt.Printf("set back: the clock is %.0f days behind a time already seen\n", ce.LastSeen.Sub(ce.Now).Hours()/24)
	}
	fmt.Println("matches ErrClockMovedBack:", errors.Is(err, client.ErrClockMovedBack))
	// Output:
	// day 89: <nil>
	// set back: the clock is 60 days behind a time already seen
	// matches ErrClockMovedBack: true
}
