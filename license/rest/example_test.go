package rest_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/rest"
)

// exampleService returns a service in memory with a product "app", and a
// license of it.
func exampleService(n license.NewLicense) (*license.Service, license.License) {
	ctx := context.Background()
	signing, err := license.GenerateSigningKey()
	if err != nil {
		log.Fatal(err)
	}
	keys, err := license.NewKeySet(signing)
	if err != nil {
		log.Fatal(err)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	svc, err := license.NewService(memstore.New(), license.WithKeySet(keys), license.WithSecret(secret),
		license.WithIssuer("https://licenses.example.com"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := svc.CreateProduct(ctx, license.Product{ID: "app", Name: "App", Major: 1}); err != nil {
		log.Fatal(err)
	}
	n.ProductID = "app"
	l, err := svc.CreateLicense(ctx, n)
	if err != nil {
		log.Fatal(err)
	}
	return svc, l
}

// post sends a JSON body and decodes the answer into v, if it is JSON.
func post(method, url, token, body string, v any) int {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode
}

// A server mounts the handler at "/v1/" and "/offline"; a program
// activates with its key, and again: the second time it gets the same
// activation back.
func ExampleNewHandler() {
	svc, l := exampleService(license.NewLicense{Seats: 1})
	defer svc.Close(context.Background())
	h, err := rest.NewHandler(svc)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", h)
	mux.Handle("/offline", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	body := `{"key":"` + l.Key + `","computerId":"pc-1"}`
	var a struct {
		AID      string `json:"aid"`
		Token    string `json:"token"`
		Existing bool   `json:"existing"`
	}
	fmt.Println(post("POST", srv.URL+"/v1/activations", "", body, &a), a.Existing, a.Token != "")
	fmt.Println(post("POST", srv.URL+"/v1/activations", "", body, &a), a.Existing)

	var p struct{ Reason string }
	other := `{"key":"` + l.Key + `","computerId":"pc-2"}`
	fmt.Println(post("POST", srv.URL+"/v1/activations", "", other, &p), p.Reason)
	// Output:
	// 201 false true
	// 200 true
	// 409 no_seats
}

// A program on a floating license takes a lease, keeps it with
// heartbeats, and gives it back when it is done.
func Example_lease() {
	svc, l := exampleService(license.NewLicense{Seats: 1, Floating: true})
	defer svc.Close(context.Background())
	h, err := rest.NewHandler(svc)
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	var lease struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	fmt.Println("take:", post("POST", srv.URL+"/v1/leases", "", `{"key":"`+l.Key+`","instance":"worker-1"}`, &lease))

	var p struct{ Reason string }
	fmt.Println("another:", post("POST", srv.URL+"/v1/leases", "", `{"key":"`+l.Key+`","instance":"worker-2"}`, &p), p.Reason)

	fmt.Println("heartbeat:", post("POST", srv.URL+"/v1/leases/"+lease.ID+"/heartbeat", lease.Token, "", nil))
	fmt.Println("return:", post("DELETE", srv.URL+"/v1/leases/"+lease.ID, lease.Token, "", nil))
	fmt.Println("another:", post("POST", srv.URL+"/v1/leases", "", `{"key":"`+l.Key+`","instance":"worker-2"}`, nil))
	// Output:
	// take: 201
	// another: 409 no_seats
	// heartbeat: 200
	// return: 204
	// another: 201
}
