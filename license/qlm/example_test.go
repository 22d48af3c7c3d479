package qlm_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/qlm"
)

// Mounting the QLM methods under a prefix of one's own, and a client
// activating by key.
func ExampleNewHandler() {
	ctx := context.Background()
	key, _ := license.GenerateSigningKey()
	keys, _ := license.NewKeySet(key)
	svc, _ := license.NewService(memstore.New(), license.WithKeySet(keys),
		license.WithSecret([]byte("a secret of at least thirty-two bytes")))
	defer svc.Close(ctx)
	svc.CreateProduct(ctx, license.Product{ID: "2", Name: "Demo Enterprise", Major: 1})
	l, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "2", Seats: 1, Customer: license.Customer{Email: "tom@example.com"}})

	h, _ := qlm.NewHandler(svc)
	mux := http.NewServeMux()
	mux.Handle("/licensing/qlmservice.asmx/", h)

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/licensing/qlmservice.asmx/ValidateLicenseHttp?is_avkey="+url.QueryEscape(l.Key)+"&is_pcid=PC-1", nil))
	body := w.Body.String()
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(strings.Contains(body, "<pckey>C"), strings.Contains(body, "<activationToken>ey"), strings.Contains(body, "<status>2</status>"))

	w = httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/licensing/qlmservice.asmx/ValidateLicenseHttp?is_avkey=nonsense&is_pcid=PC-1", nil))
	fmt.Println(w.Body.String())
	// Output:
	// 200 text/xml; charset=utf-8
	// true true true
	// <?xml version='1.0' encoding='UTF-8'?><QuickLicenseManager><error>The activation key is not valid</error></QuickLicenseManager>
}

func ExampleParseProperties() {
	cs, _ := qlm.ParseProperties("quality.module_qa::abc::2027-12-31||quality.seats::+5")
	for _, c := range cs {
		fmt.Println(c.Category, c.Name, c.Value, c.Type, c.Relative, c.ExpiresAt.Format("2006-01-02"))
	}
	// Output:
	// quality module_qa abc string false 2027-12-31
	// quality seats +5 int true 0001-01-01
}
