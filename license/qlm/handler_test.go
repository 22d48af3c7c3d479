package qlm_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/qlm"
)

// inbox captures the codes a service sends.
type inbox struct {
	mu   sync.Mutex
	msgs []license.Message
}

func (b *inbox) Notify(_ context.Context, m license.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, m)
	return nil
}

func (b *inbox) last(t *testing.T) license.Message {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.msgs) == 0 {
		t.Fatal("no code was sent")
	}
	return b.msgs[len(b.msgs)-1]
}

func (b *inbox) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.msgs)
}

type fixture struct {
	svc   *license.Service
	h     http.Handler
	inbox *inbox
	lic   license.License
	now   *time.Time
}

func newFixture(t testing.TB, opts ...qlm.Option) *fixture {
	t.Helper()
	return newFixtureWith(t, nil, opts...)
}

// newFixtureWith is newFixture whose service also takes svcOpts.
func newFixtureWith(t testing.TB, svcOpts []license.Option, opts ...qlm.Option) *fixture {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f := &fixture{inbox: &inbox{}, now: &now}
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	svc, err := license.NewService(memstore.New(), append([]license.Option{
		license.WithKeySet(ks), license.WithSecret(make([]byte, 32)),
		license.WithEmailNotifier(f.inbox), license.WithRevealUnknownEmail(true),
		license.WithClock(func() time.Time { return *f.now })}, svcOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(ctx) })
	if _, err := svc.CreateProduct(ctx, license.Product{ID: "2", Name: "Demo Enterprise", Major: 1}); err != nil {
		t.Fatal(err)
	}
	f.lic, err = svc.CreateLicense(ctx, license.NewLicense{
		ProductID: "2", Customer: license.Customer{Email: "tom@soraco.co", Name: "Tom Spencer", Company: "Soraco"},
		Seats: 2, Features: []string{"0:7", "reports"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	f.h, err = qlm.NewHandler(svc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// response is every element a test reads.
type response struct {
	Error           string `xml:"error"`
	Result          string `xml:"result"`
	Status          *int   `xml:"status"`
	ComputerKey     string `xml:"pckey"`
	ActivationToken string `xml:"activationToken"`
	ComputerID      string `xml:"computerID"`
	ComputerName    string `xml:"computerName"`
	ActivationKey   string `xml:"activationKey"`
	UserEmail       string `xml:"userEmail"`
	ProductID       string `xml:"productID"`
	Features        string `xml:"features"`
	ServerVersion   string `xml:"serverVersion"`
	Available       int    `xml:"availableLicenses"`
}

func (f *fixture) call(t *testing.T, method, query string) response {
	t.Helper()
	return f.do(t, httptest.NewRequest(http.MethodGet, "/qlm/qlmservice.asmx/"+method+"?"+query, nil))
}

func (f *fixture) do(t *testing.T, r *http.Request) response {
	t.Helper()
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/xml; charset=utf-8" {
		t.Fatalf("Content-Type = %q", ct)
	}
	body := w.Body.String()
	if !strings.HasPrefix(body, "<?xml version='1.0' encoding='UTF-8'?><QuickLicenseManager>") {
		t.Fatalf("body = %q, want a <QuickLicenseManager> fragment", body)
	}
	var resp response
	if err := xml.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return resp
}

var sixDigits = regexp.MustCompile(`^\d{6}$`)

func (f *fixture) requestCode(t *testing.T, pcid string) string {
	t.Helper()
	r := f.call(t, "RequestAuthorizationCodeForActivationHttp",
		"is_email=tom%40soraco.co&is_pcid="+pcid+"&is_productid=2&is_majorversion=1&is_minorverson=0")
	if r.Error != "" || r.Result == "" {
		t.Fatalf("code request: %+v", r)
	}
	m := f.inbox.last(t)
	if !sixDigits.MatchString(m.Code) || m.To != "tom@soraco.co" || m.Product.Name != "Demo Enterprise" || m.TTL != 10*time.Minute {
		t.Fatalf("message = %+v", m)
	}
	return m.Code
}

func TestActivationByAuthorizationCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	code := f.requestCode(t, "PC-1")

	r := f.call(t, "ActivateKeyByAuthorizationCodeHttp", "is_authcode="+code+"&is_pcid=PC-1&is_productid=2&is_majorversion=1&is_minorversion=0&is_computer_name=Tom%27s+PC")
	if r.Error != "" || r.ComputerKey == "" || r.ComputerID != "PC-1" || r.ActivationKey != f.lic.Key || r.UserEmail != "tom@soraco.co" {
		t.Fatalf("activation = %+v", r)
	}
	if r.Status == nil || *r.Status != qlm.StatusPermanent || r.Features != "0:7;" || r.Available != 1 {
		t.Fatalf("status/features/available = %v %q %d", r.Status, r.Features, r.Available)
	}
	v, _ := license.NewVerifier(license.VerifierConfig{Keyfunc: f.svc.KeySet().Keyfunc, Issuer: "licgate", Audiences: []string{"2"},
		Now: func() time.Time { return *f.now }})
	c, err := v.Verify(r.ActivationToken)
	if err != nil || c.ComputerID != "PC-1" || c.LicenseID != f.lic.ID || !c.HasFeature("reports") {
		t.Fatalf("token: %+v, %v", c, err)
	}

	again := f.call(t, "ActivateKeyByAuthorizationCodeHttp", "is_authcode="+code+"&is_pcid=PC-1&is_productid=2")
	if again.Error == "" {
		t.Fatalf("the code worked twice: %+v", again)
	}
	// Re-validation with the computer key.
	rv := f.call(t, "ActivateKeyByAuthorizationCodeHttp", "is_pckey="+url.QueryEscape(r.ComputerKey)+"&is_pcid=PC-1&is_productid=2")
	if rv.Error != "" || rv.ComputerKey != r.ComputerKey {
		t.Fatalf("re-validation = %+v", rv)
	}
	// A new code for the same computer returns the same activation.
	code2 := f.requestCode(t, "PC-1")
	r2 := f.call(t, "ActivateKeyByAuthorizationCodeHttp", "is_authcode="+code2+"&is_pcid=PC-1")
	if r2.Error != "" || r2.ComputerKey != r.ComputerKey || r2.Available != 1 {
		t.Fatalf("re-activation took a new seat: %+v", r2)
	}
}

func TestWrongCodesKillTheCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	code := f.requestCode(t, "PC-1")
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
	for i := 0; i < 5; i++ {
		r := f.call(t, "ActivateKeyByAuthorizationCodeHttp", "is_authcode="+wrong+"&is_pcid=PC-1&is_productid=2")
		if r.Error == "" {
			t.Fatalf("wrong code %d accepted", i+1)
		}
	}
	r := f.call(t, "ActivateKeyByAuthorizationCodeHttp", "is_authcode="+code+"&is_pcid=PC-1&is_productid=2")
	if r.Error == "" {
		t.Fatal("the right code worked after five wrong ones")
	}
}

func TestCodeExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	code := f.requestCode(t, "PC-1")
	*f.now = f.now.Add(10*time.Minute + time.Second)
	r := f.call(t, "ActivateKeyByAuthorizationCodeHttp", "is_authcode="+code+"&is_pcid=PC-1")
	if r.Error == "" {
		t.Fatal("an expired code worked")
	}
}

func TestNewerCodeReplacesOlder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	old := f.requestCode(t, "PC-1")
	newer := f.requestCode(t, "PC-1")
	if old == newer {
		t.Skip("two codes collided; one in a million")
	}
	if r := f.call(t, "ActivateKeyByAuthorizationCodeHttp", "is_authcode="+old+"&is_pcid=PC-1"); r.Error == "" {
		t.Fatal("the replaced code worked")
	}
	if r := f.call(t, "ActivateKeyByAuthorizationCodeHttp", "is_authcode="+newer+"&is_pcid=PC-1"); r.Error != "" {
		t.Fatalf("the newer code failed: %s", r.Error)
	}
}

func TestCodeIsBoundToItsComputer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	code := f.requestCode(t, "PC-1")
	if r := f.call(t, "ActivateKeyByAuthorizationCodeHttp", "is_authcode="+code+"&is_pcid=PC-2"); r.Error == "" {
		t.Fatal("a code issued for PC-1 activated PC-2")
	}
}

func TestUnknownEmailAnsweredLikeKnown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	box := &inbox{}
	svc, _ := license.NewService(memstore.New(), license.WithKeySet(ks), license.WithSecret(make([]byte, 32)), license.WithEmailNotifier(box))
	svc.CreateProduct(ctx, license.Product{ID: "2", Name: "P", Major: 1})
	svc.CreateLicense(ctx, license.NewLicense{ProductID: "2", Seats: 1, Customer: license.Customer{Email: "known@x.io"}})
	h, _ := qlm.NewHandler(svc)
	body := func(email string) string {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/x/RequestAuthorizationCodeForActivationHttp?is_email="+email+"&is_pcid=a&is_productid=2&is_majorversion=1", nil))
		return w.Body.String()
	}
	known, unknown := body("known@x.io"), body("nobody@x.io")
	if known != unknown {
		t.Fatalf("answers differ:\nknown:   %s\nunknown: %s", known, unknown)
	}
	svc.Close(ctx)
	if box.count() != 1 {
		t.Fatalf("%d codes sent, want 1 (to the known address only)", box.count())
	}
}

func TestCodeRequestsRateLimited(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	limited := false
	for i := 0; i < license.DefaultCodesPerEmail+3; i++ {
		r := f.call(t, "RequestAuthorizationCodeForActivationHttp", "is_email=tom%40soraco.co&is_pcid=PC-1&is_productid=2")
		if r.Error != "" {
			if !strings.Contains(r.Error, "Too many") {
				t.Fatalf("error = %q", r.Error)
			}
			limited = true
		}
	}
	if !limited || f.inbox.count() > license.DefaultCodesPerEmail {
		t.Fatalf("%d requests sent %d codes; want at most %d and a refusal", license.DefaultCodesPerEmail+3, f.inbox.count(), license.DefaultCodesPerEmail)
	}
}

func TestArguments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Names in any case, POSTed as a form without Content-Type; a name in
	// both reads as Request.Params reads it, the query's value first.
	body := "IS_AVKEY=" + url.QueryEscape(f.lic.Key) + "&Is_PcId=PC-X&is_computer_name=x"
	r := httptest.NewRequest(http.MethodPost, "/QLM/QlmService.asmx/validatelicensehttp?is_pcid=PC-9", strings.NewReader(body))
	resp := f.do(t, r)
	if resp.Error != "" || resp.ComputerID != "PC-9,PC-X" {
		t.Fatalf("POST form: %+v", resp)
	}
	tests := []struct {
		name, method, path, body, ctype string
		wantErr                         string
	}{
		{"unknown method", "GET", "/q/NoSuchMethodHttp", "", "", "Unknown method"},
		{"too many names", "GET", "/q/PingHttp?" + manyNames(1001), "", "", "more than 1000"},
		{"oversized body", "POST", "/q/ValidateLicenseHttp", "is_avkey=" + strings.Repeat("A", 70<<10), "application/x-www-form-urlencoded", "too large"},
		{"long argument", "GET", "/q/ValidateLicenseHttp?is_pcid=" + strings.Repeat("x", 2000), "", "", "longer than"},
		{"pcid with space", "GET", "/q/ValidateLicenseHttp?is_avkey=" + url.QueryEscape(f.lic.Key) + "&is_pcid=a+b", "", "", "computer id"},
		{"missing pcid", "GET", "/q/ValidateLicenseHttp?is_avkey=x", "", "", "is_pcid"},
		{"bad key", "GET", "/q/ValidateLicenseHttp?is_avkey=AAAA&is_pcid=a", "", "", "not valid"},
		{"bad major", "GET", "/q/ValidateLicenseHttp?is_avkey=x&is_pcid=a&is_majorversion=one", "", "", "number"},
		{"wrong version", "GET", "/q/ValidateLicenseHttp?is_avkey=" + url.QueryEscape(f.lic.Key) + "&is_pcid=a&is_majorversion=2", "", "", "version"},
		{"wrong product", "GET", "/q/ValidateLicenseHttp?is_avkey=" + url.QueryEscape(f.lic.Key) + "&is_pcid=a&is_productid=9", "", "", "product"},
		{"bad email", "GET", "/q/RequestAuthorizationCodeForActivationHttp?is_email=x&is_pcid=a&is_productid=2", "", "", "email"},
		{"bad is_pp", "GET", "/q/RequestAuthorizationCodeForActivationHttp?is_email=a%40b.c&is_pcid=a&is_productid=2&is_pp=nodots", "", "", "is_pp"},
		{"bad code", "GET", "/q/ActivateKeyByAuthorizationCodeHttp?is_authcode=12ab56&is_pcid=a", "", "", "code"},
		{"release disabled", "GET", "/q/ReleaseLicenseHttp?is_avkey=x&is_pcid=a", "", "", "disabled"},
		{"PUT", "PUT", "/q/PingHttp", "", "", "not supported"},
		{"XML injection echo", "GET", "/q/%3Cscript%3E", "", "", "Unknown method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			resp := f.do(t, r)
			if !strings.Contains(strings.ToLower(resp.Error), strings.ToLower(tt.wantErr)) {
				t.Fatalf("error = %q, want it to mention %q", resp.Error, tt.wantErr)
			}
		})
	}
}

func TestValidateLicense(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	key := url.QueryEscape(f.lic.Key)

	report := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A&is_activate=false")
	if report.Error != "" || report.ComputerKey != "" || *report.Status&qlm.StatusNeedsActivation == 0 {
		t.Fatalf("report only: %+v", report)
	}
	a := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A&is_productid=2&is_majorversion=1")
	b := f.call(t, "ValidateLicenseHttp", "is_avkey="+strings.ToLower(strings.ReplaceAll(f.lic.Key, "-", ""))+"&is_pcid=B")
	if a.Error != "" || b.Error != "" || a.ComputerKey == b.ComputerKey {
		t.Fatalf("two activations: %+v %+v", a, b)
	}
	c := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=C")
	if !strings.Contains(c.Error, "maximum number of activations") || c.Status != nil {
		t.Fatalf("third computer on two seats: %+v", c)
	}
	again := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A")
	if again.Error != "" || again.ComputerKey != a.ComputerKey {
		t.Fatalf("re-activation of A: %+v", again)
	}
	rv := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A&is_pckey="+url.QueryEscape(a.ComputerKey))
	if rv.Error != "" {
		t.Fatalf("re-validation: %+v", rv)
	}
	if r := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=B&is_pckey="+url.QueryEscape(a.ComputerKey)); r.Error == "" {
		t.Fatal("A's computer key validated on B")
	}
	// Revoke A: its computer key stops working and A cannot come back.
	acts, _ := f.svc.Activations(context.Background(), f.lic.ID)
	for _, x := range acts {
		if x.ComputerID == "A" {
			f.svc.RevokeActivation(context.Background(), x.AID)
		}
	}
	if r := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A&is_pckey="+url.QueryEscape(a.ComputerKey)); !strings.Contains(r.Error, "revoked") || r.Status != nil {
		t.Fatalf("revoked re-validation: %+v", r)
	}
	if r := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A"); r.Error == "" {
		t.Fatal("a revoked computer activated again")
	}
	if r := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=C"); r.Error != "" {
		t.Fatalf("the revoked seat was not freed: %+v", r)
	}
}

func TestRelease(t *testing.T) {
	t.Parallel()
	f := newFixture(t, qlm.WithRelease("v", "u", "p"))
	key := url.QueryEscape(f.lic.Key)
	f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A")
	f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=B")
	if r := f.call(t, "ReleaseLicenseHttp", "is_avkey="+key+"&is_pcid=A&is_vendor=v&is_user=u&is_pwd=wrong"); !strings.Contains(r.Error, "Authentication") {
		t.Fatalf("wrong password: %+v", r)
	}
	r := f.call(t, "ReleaseLicenseHttp", "is_avkey="+key+"&is_pcid=A&is_vendor=v&is_user=u&is_pwd=p")
	if r.Error != "" || r.Result != "ActivationKey "+f.lic.Key+" has been released." {
		t.Fatalf("release: %+v", r)
	}
	if r := f.call(t, "ReleaseLicenseHttp", "is_avkey="+key+"&is_pcid=A&is_vendor=v&is_user=u&is_pwd=p"); r.Error == "" {
		t.Fatal("released twice")
	}
	if r := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=C"); r.Error != "" {
		t.Fatalf("the released seat was not freed: %+v", r)
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, qlm.WithServerVersion("1.2.3"))
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, httptest.NewRequest("GET", "/qlmservice.asmx/PingHttp", nil))
	want := "<?xml version='1.0' encoding='UTF-8'?><QuickLicenseManager><result>Successfully connected to License Server at 2026-11-22T10:00:00Z UTC. QLM Version: 1.2.3</result>" +
		"<serverDate>2026-11-22T10:00:00Z</serverDate><serverVersion>1.2.3</serverVersion><serverDate date=\"2026-11-22T10:00:00Z\"></serverDate></QuickLicenseManager>"
	if got := w.Body.String(); got != want {
		t.Fatalf("PingHttp body:\n got %s\nwant %s", got, want)
	}
}

func TestWriteBOM(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, httptest.NewRequest("GET", "/q/PingHttp?is_writebom=true", nil))
	if !strings.HasPrefix(w.Body.String(), "\uFEFF<?xml") {
		t.Fatalf("body %q does not start with a BOM", w.Body.String()[:10])
	}
}

func TestProductPropertiesAppliedOnActivation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.call(t, "RequestAuthorizationCodeForActivationHttp",
		"is_email=tom%40soraco.co&is_pcid=PC-1&is_productid=2&is_pp="+url.QueryEscape("quality.module_qa::abc::2027-12-31||quality.seats::5"))
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	l, _ := f.svc.License(context.Background(), f.lic.ID)
	if len(l.Properties) != 0 {
		t.Fatal("properties applied before the code was used")
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, httptest.NewRequest("GET", "/q/ActivateKeyByAuthorizationCodeHttp?is_authcode="+f.inbox.last(t).Code+"&is_pcid=PC-1", nil))
	var doc struct {
		Props string `xml:"productProperties"`
	}
	xml.Unmarshal(w.Body.Bytes(), &doc)
	if !strings.Contains(doc.Props, `category="quality" value="abc" type="string"`) || !strings.Contains(doc.Props, `name="seats" category="quality" value="5" type="int"`) {
		t.Fatalf("productProperties = %q", doc.Props)
	}
	l, _ = f.svc.License(context.Background(), f.lic.ID)
	if len(l.Properties) != 2 {
		t.Fatalf("license properties = %+v", l.Properties)
	}
}

func TestHostileInputKeepsServing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	inputs := []string{
		"/q/ValidateLicenseHttp?is_avkey=%00%01&is_pcid=%FF",
		"/q/ValidateLicenseHttp?" + strings.Repeat("a=1&", 5000),
		"/q/RequestAuthorizationCodeForActivationHttp?is_email=%3Cx%3E%40y.z&is_pcid=%3C%2Fresult%3E&is_productid=2",
		"/q/ActivateKeyByAuthorizationCodeHttp?is_authcode='%20OR%201=1%20--&is_pcid=x",
		"/q/ValidateLicenseHttp?is_avkey=]]%3E&is_pcid=%26amp%3B",
	}
	for _, in := range inputs {
		resp, err := http.Get(srv.URL + in)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var r response
		if resp.StatusCode != 200 || xml.Unmarshal(b, &r) != nil || r.Error == "" {
			t.Fatalf("%s: %d %s", in, resp.StatusCode, b)
		}
	}
	if r := f.call(t, "PingHttp", ""); r.Error != "" {
		t.Fatal("server unhealthy after hostile input")
	}
}

// manyNames returns a query string of n distinct names.
func manyNames(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "a%d=1&", i)
	}
	return b.String()
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func decode(tb testing.TB, b []byte, v any) {
	tb.Helper()
	if err := xml.Unmarshal(b, v); err != nil {
		tb.Fatal(err)
	}
}

func TestReleaseCredentialsThrottled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, qlm.WithRelease("v", "u", "p"))
	key := url.QueryEscape(f.lic.Key)
	f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A")
	for i := 0; i < license.DefaultFailuresPerAddr; i++ {
		if r := f.call(t, "ReleaseLicenseHttp", "is_avkey="+key+"&is_pcid=A&is_vendor=v&is_user=u&is_pwd=guess"); !strings.Contains(r.Error, "Authentication") {
			t.Fatalf("guess %d: %+v", i+1, r)
		}
	}
	if r := f.call(t, "ReleaseLicenseHttp", "is_avkey="+key+"&is_pcid=A&is_vendor=v&is_user=u&is_pwd=p"); !strings.Contains(r.Error, "Too many") {
		t.Fatalf("right password after the limit: %+v", r)
	}
}

// TestRevokedLicenseIsNotRevokedActivation: a revoked activation and a
// revoked license are told apart in the answer, and the answer counts the
// seats held from the license record.
func TestRevokedLicenseIsNotRevokedActivation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	key := url.QueryEscape(f.lic.Key)
	a := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A")
	if b := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=B"); b.Error != "" || b.Available != 0 {
		t.Fatalf("second seat: error %q, available %d; want none left", b.Error, b.Available)
	}
	as, _ := f.svc.Activations(ctx, f.lic.ID)
	for _, x := range as {
		if x.ComputerID == "A" {
			f.svc.RevokeActivation(ctx, x.AID)
		}
	}
	r := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A&is_pckey="+url.QueryEscape(a.ComputerKey))
	if r.Error != "The activation of this computer has been revoked by the vendor." || r.Status != nil {
		t.Fatalf("revoked activation: %q, status %v", r.Error, r.Status)
	}
	f.svc.SetLicenseStatus(ctx, f.lic.ID, license.StatusRevoked)
	r = f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=B")
	if r.Error != "The license has been revoked." || r.Status != nil {
		t.Fatalf("revoked license: %q, status %v", r.Error, r.Status)
	}
	r = f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=has%20space")
	if strings.Contains(r.Error, "license:") || !strings.HasPrefix(r.Error, "Invalid argument: ") {
		t.Fatalf("invalid argument answered %q, want a sentence without a package prefix", r.Error)
	}
}
