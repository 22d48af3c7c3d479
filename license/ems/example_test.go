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
// client does: log in by product key (the license ID) with a cookie jar,
// post a C2V, and fetch the license again by the activation ID.
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
	svc.CreateProduct(ctx, license.Product{ID: "memo", Name: "Memo", Major: 1})
	lic, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "memo", Customer: license.Customer{Email: "pm@example.com"}})

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

	res, _ := client.PostForm(base+"loginByProductKey.ws", url.Values{"productKey": {lic.ID}})
	res.Body.Close()
	fmt.Println("login:", res.Status)

	c2v := `<hasp_info><haspscope><hasp id="712734935"><vendor id="37515"/></hasp></haspscope><c2v>YYIr</c2v></hasp_info>`
	body := `<activation><activationInput><activationAttribute><attributeValue><![CDATA[` + c2v +
		`]]></attributeValue><attributeName>C2V</attributeName></activationAttribute></activationInput></activation>`
	res, _ = client.Post(base+"productKey/"+lic.ID+"/activation.ws", "application/xml", strings.NewReader(body))
	b, _ := io.ReadAll(res.Body)
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
	// login: 200 OK
	// activation: 200 OK protection key 712734935
	// by AID: 200 OK application/xml;charset=UTF-8
	// unknown AID: 404 Not Found No activation exists for the AID. Provide a valid AID.
}
