package ems_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/ems"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/xmlmodel"
)

// Mount the EMS web services at /ems/ and activate the way a Sentinel
// client does: log in with the license's product key and a cookie jar,
// post a C2V, and fetch the license again by the activation ID. The
// license ID is an identifier, not a product key: it logs no one in.
func ExampleNewHandler() {
	ctx := context.Background()
	key, _ := license.GenerateSigningKey()
	keys, _ := license.NewKeySet(key)
	svc, err := license.NewService(memstore.New(), license.WithKeySet(keys),
		license.WithSecret([]byte("an example secret of 32 bytes or more")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Close(ctx)
	if _, err := svc.CreateProduct(ctx, license.Product{ID: "memo", Name: "Memo", Major: 1}); err != nil {
		fmt.Println(err)
		return
	}
	lic, err := svc.CreateLicense(ctx, license.NewLicense{ProductID: "memo", Customer: license.Customer{Email: "pm@example.com"}, Seats: 1})
	if err != nil {
		fmt.Println(err)
		return
	}

	h, err := ems.NewHandler(svc, ems.WithVendorCredentials("admin", "a long vendor password"))
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/ems/", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	base := srv.URL + "/ems/v90/ws/"

	res, _ := http.PostForm(base+"loginByProductKey.ws", url.Values{"productKey": {lic.ID}})
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println("login with the license ID:", res.Status, string(b))

	res, _ = client.PostForm(base+"loginByProductKey.ws", url.Values{"productKey": {lic.ProductKey}})
	res.Body.Close()
	fmt.Println("login with the product key:", res.Status)

	c2v := `<hasp_info><haspscope><hasp id="712734935"><vendor id="37515"/></hasp></haspscope><c2v>YYIr</c2v></hasp_info>`
	body := `<activation><activationInput><activationAttribute><attributeValue><![CDATA[` + c2v +
		`]]></attributeValue><attributeName>C2V</attributeName></activationAttribute></activationInput></activation>`
	res, _ = client.Post(base+"productKey/"+lic.ProductKey+"/activation.ws", "application/xml", strings.NewReader(body))
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	var act xmlmodel.Activation
	if err := xmlmodel.UnmarshalEMS(b, &act); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("activation:", res.Status, "protection key", act.Output.ProtectionKeyID)

	res, _ = client.Get(base + "activation/" + act.Output.AID + ".ws")
	res.Body.Close()
	fmt.Println("by AID:", res.Status, res.Header.Get("Content-Type"))

	res, _ = client.Get(base + "activation/00000000-0000-4000-8000-000000000000.ws")
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println("unknown AID:", res.Status, string(b))
	// Output:
	// login with the license ID: 404 Not Found The Product key does not exist.
	// login with the product key: 200 OK
	// activation: 200 OK protection key 712734935
	// by AID: 200 OK application/xml;charset=UTF-8
	// unknown AID: 404 Not Found No activation exists for the AID. Provide a valid AID.
}

// A product-key session may register a customer on a license sold without
// one, once; replacing the customer takes the vendor. A state-changing call
// that a browser sends from another site is refused, whoever's cookie it
// carries.
func ExampleHandler_productKeySession() {
	ctx := context.Background()
	key, _ := license.GenerateSigningKey()
	keys, _ := license.NewKeySet(key)
	svc, err := license.NewService(memstore.New(), license.WithKeySet(keys),
		license.WithSecret([]byte("an example secret of 32 bytes or more")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Close(ctx)
	svc.CreateProduct(ctx, license.Product{ID: "memo", Name: "Memo", Major: 1})
	lic, err := svc.CreateLicense(ctx, license.NewLicense{ProductID: "memo", Seats: 1}) // no customer yet
	if err != nil {
		fmt.Println(err)
		return
	}
	h, _ := ems.NewHandler(svc)

	call := func(method, path, body string, header ...string) (int, http.Header, string) {
		req := httptest.NewRequest(method, "/ems/v90/ws/"+path, strings.NewReader(body))
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Header(), rec.Body.String()
	}
	_, hdr, _ := call("POST", "loginByProductKey.ws?productKey="+lic.ProductKey, "")
	cookie := strings.SplitN(hdr.Get("Set-Cookie"), ";", 2)[0]
	register := func(email string, header ...string) {
		code, _, body := call("POST", "productKey/"+lic.ProductKey+".ws",
			"<productKey><customerEmail>"+email+"</customerEmail></productKey>", append([]string{"Cookie", cookie}, header...)...)
		if code == http.StatusOK {
			body = "registered"
		}
		fmt.Println(email+":", code, body)
	}
	register("jane@example.com", "Origin", "https://evil.example")
	register("jane@example.com")
	register("mallory@example.com")
	// Output:
	// jane@example.com: 403 This request came from a page of another web site, so it was refused: a call that changes the license server's state must come from a program or from the server's own site.
	// jane@example.com: 200 registered
	// mallory@example.com: 403 The Product key already has a customer, and only the vendor may replace it. Log in with login.ws to change the customer.
}
