package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licgate/licgate/internal/smtptest"
	"github.com/licgate/licgate/license"
)

// cli runs one admin command and decodes its JSON output into v.
func cli(t *testing.T, v any, args ...string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("licgate %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
	}
	if err := json.Unmarshal(out.Bytes(), v); err != nil {
		t.Fatalf("licgate %s printed %q: %v", strings.Join(args, " "), out.String(), err)
	}
}

// newData returns a data directory holding a licgate database, signing
// key and secret, as "licgate serve -data DIR" leaves it on its first run:
// the admin commands refuse a directory without them.
func newData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sf := storeFlags{data: dir}
	st, db, err := sf.openStore(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db.Close()
	if _, err := sf.loadSecrets(true); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startServer runs licgate serve with args on a free loopback port and
// returns its base URL; the server stops when the test ends.
func startServer(t *testing.T, args ...string) string {
	t.Helper()
	base, _ := startServerLogs(t, args...)
	return base
}

// startServerLogs is startServer that also returns what the server
// writes to its log.
func startServerLogs(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	s := launch(t, args...)
	return s.base, s.logs
}

// server is a licgate serve started by a test.
type server struct {
	base string // http://ADDR of -addr
	logs *syncBuffer
	// stop stops the server, as SIGTERM does, and waits for it to exit;
	// it is called again when the test ends, and does nothing then.
	stop func()
}

// launch runs licgate serve with args on a free loopback port and waits
// until it is healthy.
func launch(t *testing.T, args ...string) *server {
	t.Helper()
	return launchOut(t, io.Discard, args...)
}

// launchOut is launch that writes the server's standard output, where
// the demo banner goes, to stdout.
func launchOut(t *testing.T, stdout io.Writer, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var code int
	logs := new(syncBuffer)
	go func() {
		defer close(done)
		code = Run(ctx, append([]string{"serve", "-addr", addr}, args...), stdout, logs)
	}()
	exited := false
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
				if code != 0 && !exited {
					t.Errorf("licgate serve exited %d: %s", code, logs.String())
				}
			case <-time.After(20 * time.Second):
				t.Error("licgate serve did not shut down")
			}
		})
	}
	t.Cleanup(stop)
	base := "http://" + addr
	for i := 0; i < 200; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return &server{base: base, logs: logs, stop: stop}
			}
		}
		select {
		case <-done:
			exited = true
			t.Fatalf("licgate serve exited %d: %s", code, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("licgate serve did not become healthy: %s", logs.String())
	return nil
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type qlmAnswer struct {
	Error           string `xml:"error"`
	Result          string `xml:"result"`
	ComputerKey     string `xml:"pckey"`
	ActivationToken string `xml:"activationToken"`
}

func get(t *testing.T, u string) qlmAnswer {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/xml; charset=utf-8" {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var a qlmAnswer
	if err := xml.Unmarshal(b, &a); err != nil {
		t.Fatalf("GET %s: %s: %v", u, b, err)
	}
	return a
}

var codeLine = regexp.MustCompile(`(?m)^\s*(\d{6})\s*$`)

// TestEndToEnd follows a customer through licgate serve with a real SMTP
// exchange, and an operator through the CLI while the server runs.
func TestEndToEnd(t *testing.T) {
	srvTLS, _ := smtptest.TestTLS(t)
	smtp := &smtptest.Server{Config: smtptest.Config{TLS: srvTLS, AuthMechs: "PLAIN", User: "mailer", Pass: "s3cret", RequireAuth: true}}
	smtpAddr := smtp.Start(t)

	data := newData(t)
	var p license.Product
	cli(t, &p, "product", "add", "-data", data, "-id", "acme-cad", "-name", "Acme CAD", "-major", "3", "-minor", "1")
	var l license.License
	cli(t, &l, "license", "add", "-data", data, "-product", "acme-cad", "-email", "Ann@Example.com", "-name", "Ann", "-seats", "3", "-expires", "2099-12-31", "-features", "export, render")
	if l.ID == "" || l.Key == "" || l.Seats != 3 || len(l.Features) != 2 || l.Email != "ann@example.com" ||
		!l.ExpiresAt.Equal(time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC)) {
		t.Fatalf("license add printed %+v", l)
	}

	base := startServer(t, "-data", data, "-demo=false", "-smtp", "smtp://mailer:s3cret@"+smtpAddr, "-mail-from", "Acme Licensing <licenses@acme.example>")
	qlm := base + "/qlm/qlmservice.asmx/"

	// The seed's sample URL, with its is_minorverson spelling.
	r := get(t, qlm+"RequestAuthorizationCodeForActivationHttp?is_email=ann%40example.com&is_pcid=PC-ANN&is_productid=acme-cad&is_majorversion=3&is_minorverson=1")
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	msgs := smtp.WaitMessages(t, 1, 10*time.Second)
	if !msgs[0].TLS || msgs[0].Authed != "mailer" || msgs[0].To[0] != "ann@example.com" {
		t.Fatalf("mail envelope = %+v, want TLS, authenticated, to ann", msgs[0])
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
	match := codeLine.FindSubmatch(body)
	if match == nil || !strings.Contains(string(body), "Acme CAD") || !strings.Contains(string(body), "10 minutes") {
		t.Fatalf("email body has no code, product or lifetime:\n%s", body)
	}
	code := string(match[1])

	a := get(t, qlm+"ActivateKeyByAuthorizationCodeHttp?is_authcode="+code+"&is_pcid=PC-ANN&is_productid=acme-cad&is_majorversion=3&is_minorversion=1")
	if a.Error != "" || a.ComputerKey == "" {
		t.Fatalf("activation: %+v", a)
	}
	claims := verifyWithJWKS(t, base, a.ActivationToken)
	if claims.ComputerID != "PC-ANN" || claims.LicenseID != l.ID || claims.ProductID() != "acme-cad" {
		t.Fatalf("claims = %+v", claims)
	}
	if again := get(t, qlm+"ActivateKeyByAuthorizationCodeHttp?is_authcode="+code+"&is_pcid=PC-ANN&is_productid=acme-cad"); again.Error == "" {
		t.Fatal("the code worked twice")
	}

	// The CLI works while the server runs.
	var acts []license.Activation
	cli(t, &acts, "activation", "list", "-data", data, "-license", l.ID)
	if len(acts) != 1 || acts[0].AID != claims.AID() {
		t.Fatalf("activation list = %+v", acts)
	}

	// Five wrong codes kill a live code.
	if r := get(t, qlm+"RequestAuthorizationCodeForActivationHttp?is_email=ann%40example.com&is_pcid=PC-TWO&is_productid=acme-cad"); r.Error != "" {
		t.Fatal(r.Error)
	}
	msgs = smtp.WaitMessages(t, 2, 10*time.Second)
	m, _ = mail.ReadMessage(bytes.NewReader(msgs[1].Data))
	body, _ = io.ReadAll(quotedprintable.NewReader(m.Body))
	code2 := string(codeLine.FindSubmatch(body)[1])
	wrong := fmt.Sprintf("%06d", (atoi(code2)+1)%1_000_000)
	for i := 0; i < 5; i++ {
		if r := get(t, qlm+"ActivateKeyByAuthorizationCodeHttp?is_authcode="+wrong+"&is_pcid=PC-TWO"); r.Error == "" {
			t.Fatal("a wrong code worked")
		}
	}
	if r := get(t, qlm+"ActivateKeyByAuthorizationCodeHttp?is_authcode="+code2+"&is_pcid=PC-TWO"); r.Error == "" {
		t.Fatal("the right code worked after five wrong ones")
	}

	// Seats hold under concurrent activations over HTTP: a fresh 3-seat
	// license, 50 distinct computers at once, exactly 3 win.
	var l3 license.License
	cli(t, &l3, "license", "add", "-data", data, "-product", "acme-cad", "-email", "bob@example.com", "-seats", "3")
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.PostForm(qlm+"ValidateLicenseHttp", url.Values{"is_avkey": {l3.Key}, "is_pcid": {fmt.Sprintf("PC-%d", i)}})
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var ans qlmAnswer
			b, _ := io.ReadAll(resp.Body)
			if err := xml.Unmarshal(b, &ans); err != nil {
				t.Errorf("answer %q: %v", b, err)
			}
			if ans.Error == "" && ans.ComputerKey != "" {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 3 {
		t.Fatalf("%d of 50 concurrent activations won a 3-seat license, want 3", won)
	}
	cli(t, &acts, "activation", "list", "-data", data, "-license", l3.ID)
	if len(acts) != 3 {
		t.Fatalf("the 3-seat license holds %d activations", len(acts))
	}

	var revoked license.Activation
	cli(t, &revoked, "activation", "revoke", "-data", data, "-aid", claims.AID())
	if revoked.Status != license.StatusRevoked {
		t.Fatalf("revoke printed %+v", revoked)
	}
	if r := get(t, qlm+"ValidateLicenseHttp?is_avkey="+url.QueryEscape(l.Key)+"&is_pcid=PC-ANN&is_pckey="+url.QueryEscape(a.ComputerKey)); r.Error == "" {
		t.Fatal("a revoked activation still validates")
	}
}

// verifyWithJWKS checks a token against the server's published keys only.
func verifyWithJWKS(t *testing.T, base, token string) *license.Claims {
	t.Helper()
	resp, err := http.Get(base + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kid, X string } `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		x, _ := base64.RawURLEncoding.DecodeString(k.X)
		keys[k.Kid] = x
	}
	v, err := license.NewVerifier(license.VerifierConfig{Issuer: "licgate", Keyfunc: func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("unknown kid %q", kid)
	}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(token)
	if err != nil {
		t.Fatalf("token does not verify against the JWKS: %v", err)
	}
	return c
}

func TestSecretsPersistWith0600(t *testing.T) {
	dir := t.TempDir()
	sf := storeFlags{data: dir}
	a, err := sf.loadSecrets(true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sf.loadSecrets(true)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sf.loadSecrets(false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.secret, b.secret) || string(a.keys.JWKS()) != string(b.keys.JWKS()) ||
		!bytes.Equal(a.secret, c.secret) || string(a.keys.JWKS()) != string(c.keys.JWKS()) {
		t.Fatal("secrets changed between runs")
	}
	st, db, err := sf.openStore(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db.Close()
	for _, name := range []string{"secret", "signing-key.pem", "licgate.db"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v; want 0600", name, err, fi.Mode())
		}
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	dir := newData(t)
	t.Setenv("LICGATE_DATA", dir)
	var p license.Product
	cli(t, &p, "product", "add", "-id", "x", "-name", "X")
	var ps []license.Product
	cli(t, &ps, "product", "list", "-data", dir)
	if len(ps) != 1 || ps[0].ID != "x" {
		t.Fatalf("product list with -data %s = %+v; LICGATE_DATA was not used", dir, ps)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := [][]string{
		{"frobnicate"},
		{"product"},
		{"product", "add", "-nope"},
		{"license", "add", "-data", newData(t), "-product", "none", "-email", "a@b.c"},
		{"license", "add", "-data", newData(t), "-product", "x", "-expires", "tomorrow"},
		{"activation", "revoke", "-data", newData(t)},
	}
	for _, args := range tests {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), args, &out, &errOut); code == 0 || errOut.Len() == 0 {
			t.Errorf("licgate %v: exit %d, stderr %q; want a failure with a message", args, code, errOut.String())
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestEMSThroughServe activates by product key the way Thales' samples do,
// against licgate serve, and reads the license back by AID.
func TestEMSThroughServe(t *testing.T) {
	data := newData(t)
	var p license.Product
	cli(t, &p, "product", "add", "-data", data, "-id", "cad", "-name", "CAD")
	var l license.License
	cli(t, &l, "license", "add", "-data", data, "-product", "cad", "-email", "c@example.com", "-seats", "1")
	base := startServer(t, "-data", data, "-demo=false", "-ems-user", "admin", "-ems-password", "pw")

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(base+"/ems/v90/ws/loginByProductKey.ws?productKey="+l.ProductKey, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<stat>ok</stat>") {
		t.Fatalf("loginByProductKey: %d %s", resp.StatusCode, b)
	}
	c2v := `<activation><activationInput><activationAttribute><attributeValue><![CDATA[<?xml version="1.0" encoding="UTF-8"?><hasp_info><haspscope><hasp id="712734935"><vendor id="37515"/></hasp></haspscope><c2v>YYIr</c2v></hasp_info>]]></attributeValue><attributeName>C2V</attributeName></activationAttribute><comments>x</comments></activationInput></activation>`
	resp, err = c.Post(base+"/ems/v21/ws/productKey/"+l.ProductKey+"/activation.ws", "application/xml", strings.NewReader(c2v))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var act struct {
		AID string `xml:"activationOutput>AID"`
		PK  string `xml:"activationOutput>protectionKeyId"`
	}
	if resp.StatusCode != 200 || xml.Unmarshal(b, &act) != nil || act.PK != "712734935" {
		t.Fatalf("activation: %d %s", resp.StatusCode, b)
	}
	resp, err = c.Get(base + "/ems/v90/ws/activation/" + act.AID + ".ws")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<AID>"+act.AID+"</AID>") {
		t.Fatalf("activation by AID: %d %s", resp.StatusCode, b)
	}
	resp, _ = c.Get(base + "/ems/v90/ws/activation/00000000-0000-4000-8000-000000000000.ws")
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || string(b) != "No activation exists for the AID. Provide a valid AID." {
		t.Fatalf("unknown AID: %d %q", resp.StatusCode, b)
	}
}

// TestGateThroughServe drives /demo/hello the way the gate's users will.
func TestGateThroughServe(t *testing.T) {
	data := newData(t)
	var p license.Product
	cli(t, &p, "product", "add", "-data", data, "-id", "svc", "-name", "Service")
	var l license.License
	cli(t, &l, "license", "add", "-data", data, "-product", "svc", "-email", "g@example.com", "-features", "export", "-seats", "2")
	base := startServer(t, "-data", data, "-demo=false", "-gate-ttl", "1s")
	a := get(t, base+"/qlm/qlmservice.asmx/ValidateLicenseHttp?is_pcid=box&is_avkey="+url.QueryEscape(l.Key))
	if a.Error != "" {
		t.Fatal(a.Error)
	}
	call := func(path, token string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type") + " " + string(b)
	}
	for _, tt := range []struct {
		path, token string
		want        int
	}{
		{"/demo/hello", "", 401},
		{"/demo/hello", "garbage", 401},
		{"/demo/hello", a.ActivationToken, 200},
		{"/demo/features/export", a.ActivationToken, 200},
		{"/demo/features/render", a.ActivationToken, 403},
	} {
		if got, body := call(tt.path, tt.token); got != tt.want {
			t.Fatalf("GET %s: %d %s, want %d", tt.path, got, body, tt.want)
		}
	}
	claims := verifyWithJWKS(t, base, a.ActivationToken)
	var suspended license.License
	cli(t, &suspended, "license", "suspend", "-data", data, "-id", l.ID)
	if suspended.Status != license.StatusSuspended {
		t.Fatalf("license suspend printed %+v", suspended)
	}
	waitStatus := func(want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			code, body := call("/demo/hello", a.ActivationToken)
			if code == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("/demo/hello: %d %s, want %d within the 1s TTL", code, body, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitStatus(403)
	cli(t, &suspended, "license", "resume", "-data", data, "-id", l.ID)
	waitStatus(200)
	// A revoked activation and a revoked license are refused for their
	// own reasons.
	waitReason := func(token, reason string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			code, body := call("/demo/hello", token)
			if code == 403 && strings.Contains(body, "application/problem+json") && strings.Contains(body, `"`+reason+`"`) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("after a revocation and a 1s TTL: %d %s, want 403 %s", code, body, reason)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	b := get(t, base+"/qlm/qlmservice.asmx/ValidateLicenseHttp?is_pcid=box2&is_avkey="+url.QueryEscape(l.Key))
	if b.Error != "" {
		t.Fatal(b.Error)
	}
	var revoked license.Activation
	cli(t, &revoked, "activation", "revoke", "-data", data, "-aid", claims.AID())
	waitReason(a.ActivationToken, "activation_revoked")
	if code, body := call("/demo/hello", b.ActivationToken); code != 200 {
		t.Fatalf("another activation of the license after one was revoked: %d %s", code, body)
	}
	var gone license.License
	cli(t, &gone, "license", "revoke", "-data", data, "-id", l.ID)
	waitReason(b.ActivationToken, "license_revoked")
}

func TestHeaderIP(t *testing.T) {
	f := headerIP("X-Forwarded-For")
	tests := []struct {
		header []string
		want   string
	}{
		{nil, "192.0.2.1"},
		{[]string{"203.0.113.9"}, "203.0.113.9"},
		{[]string{"spoofed, 203.0.113.9"}, "203.0.113.9"},
		{[]string{"a", "b, 198.51.100.2 "}, "198.51.100.2"},
		{[]string{""}, "192.0.2.1"},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = "192.0.2.1:4321"
		for _, v := range tt.header {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := f(r); got != tt.want {
			t.Errorf("headerIP with %q = %q, want %q", tt.header, got, tt.want)
		}
	}
}

// TestCodeBySMS sends a code to a customer with a phone number through a
// Twilio-compatible API given by -sms-url.
func TestCodeBySMS(t *testing.T) {
	var mu sync.Mutex
	var got url.Values
	var auth string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/2010-04-01/Accounts/AC123/Messages.json" {
			http.Error(w, `{"code":20404,"message":"not found"}`, 404)
			return
		}
		r.ParseForm()
		mu.Lock()
		got, auth = r.PostForm, r.Header.Get("Authorization")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		io.WriteString(w, `{"sid":"SM1","status":"queued"}`)
	}))
	defer api.Close()

	data := newData(t)
	var p license.Product
	cli(t, &p, "product", "add", "-data", data, "-id", "sms", "-name", "Texter")
	var l license.License
	cli(t, &l, "license", "add", "-data", data, "-product", "sms", "-email", "t@example.com", "-phone", "+1 555 010 0999")
	smsURL := strings.Replace(api.URL, "http://", "http://AC123:tok@", 1)
	base := startServer(t, "-data", data, "-demo=false", "-sms-url", smsURL, "-sms-from", "+15550100000")
	if r := get(t, base+"/qlm/qlmservice.asmx/RequestAuthorizationCodeForActivationHttp?is_email=t%40example.com&is_pcid=phone&is_productid=sms"); r.Error != "" {
		t.Fatal(r.Error)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		form := got
		mu.Unlock()
		if form != nil {
			want := "Basic " + base64.StdEncoding.EncodeToString([]byte("AC123:tok"))
			if form.Get("To") != "+15550100999" || form.Get("From") != "+15550100000" || auth != want {
				t.Fatalf("SMS form %v, auth %q", form, auth)
			}
			code := regexp.MustCompile(`\b\d{6}\b`).FindString(form.Get("Body"))
			if code == "" || !strings.Contains(form.Get("Body"), "Texter") {
				t.Fatalf("SMS body %q", form.Get("Body"))
			}
			if a := get(t, base+"/qlm/qlmservice.asmx/ActivateKeyByAuthorizationCodeHttp?is_authcode="+code+"&is_pcid=phone"); a.Error != "" {
				t.Fatalf("activation with the SMS code: %s", a.Error)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no SMS was sent")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
