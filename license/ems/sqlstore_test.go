package ems_test

import (
	"context"
	"database/sql"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/licgate/licgate/license/sqlstore"
)

// TestSQLiteReplicas runs two replicas, each with its own connection pool,
// on one SQLite database: a session opened on one works on the other and
// ends for both, and concurrent activations through both respect the seats.
func TestSQLiteReplicas(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "licgate.db")
	open := func() *sqlstore.Store {
		db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s, err := sqlstore.Open(context.Background(), db, sqlstore.SQLite)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	e := newEnvOn(t, open())
	e.store = open()
	b := newServer(t, e.mux(e.newService())) // replica B on its own pool
	a := e.srv.URL

	c := e.client()
	sid := e.loginPK(c, "v90", e.lic3.ProductKey)
	r := e.do(c, "POST", a+"/ems/v90/ws/productKey/"+e.lic3.ProductKey+"/activation.ws", "application/xml", javaRequest(updateC2V("712734935"), "sqlite"))
	if r.status != http.StatusOK {
		t.Fatalf("activation on A: %d %s", r.status, r.body)
	}
	aid := between(r.body, "<AID>", "</AID>")
	cookie := []string{"Cookie", "JSESSIONID=" + sid}
	if r := e.do(http.DefaultClient, "GET", b+"/ems/v21/ws/activation/"+aid+".ws", "", "", cookie...); r.status != 200 ||
		!strings.Contains(r.body, "<comments>sqlite</comments>") {
		t.Fatalf("GET on B: %d %s", r.status, r.body)
	}
	var wg sync.WaitGroup
	statuses := make([]int, 6)
	for i := range statuses {
		base := a
		if i%2 == 1 {
			base = b
		}
		wg.Go(func() {
			statuses[i] = e.do(http.DefaultClient, "POST", base+"/ems/v90/ws/productKey/"+e.lic3.ProductKey+"/activation.ws", "application/xml",
				javaRequest(fingerprintC2V("sqlite-host-"+strconv.Itoa(i)), ""), cookie...).status
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[200] != 2 || count[409] != 4 {
		t.Errorf("statuses %v, want 2 × 200 (3 seats, 1 taken) and 4 × 409", count)
	}
	if r := e.do(http.DefaultClient, "POST", b+"/ems/v90/ws/logout.ws", "", "", cookie...); r.status != 204 {
		t.Fatalf("logout on B: %d", r.status)
	}
	wantText(t, e.do(http.DefaultClient, "GET", a+"/ems/v90/ws/activation/"+aid+".ws", "", "", cookie...), 401,
		"You are not logged in, or your session has expired or ended. Log in with login.ws or loginByProductKey.ws first.")
}
