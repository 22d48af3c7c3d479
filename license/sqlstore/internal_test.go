package sqlstore

import (
	"reflect"
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		d    Dialect
		q    string
		want string
	}{
		{SQLite, "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = ? AND c = ?"},
		{Postgres, "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{Postgres, "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"},
		{Postgres, "SELECT 1", "SELECT 1"},
	}
	for _, tt := range tests {
		if got := tt.d.rebind(tt.q); got != tt.want {
			t.Errorf("%v.rebind(%q): got %q, want %q", tt.d, tt.q, got, tt.want)
		}
	}
}

// TestQueries checks that every query is set and, for PostgreSQL, rebound.
func TestQueries(t *testing.T) {
	for _, d := range []Dialect{SQLite, Postgres} {
		v := reflect.ValueOf(newQueries(d))
		for i := range v.NumField() {
			name, q := v.Type().Field(i).Name, v.Field(i).String()
			if q == "" {
				t.Errorf("%v query %s: got empty, want a statement", d, name)
			}
			if d == Postgres && strings.Contains(q, "?") {
				t.Errorf("%v query %s: got %q, want $n placeholders", d, name, q)
			}
		}
	}
}

func TestLoadMigrations(t *testing.T) {
	for _, d := range []Dialect{SQLite, Postgres} {
		ms, err := loadMigrations(d)
		if err != nil {
			t.Fatalf("loadMigrations(%v): %v", d, err)
		}
		if len(ms) == 0 || ms[0].version != 1 {
			t.Errorf("loadMigrations(%v): got %d migrations, want versions from 1", d, len(ms))
		}
	}
	sqlite, _ := loadMigrations(SQLite)
	postgres, _ := loadMigrations(Postgres)
	if len(sqlite) != len(postgres) {
		t.Errorf("migrations: got %d for SQLite and %d for PostgreSQL, want as many", len(sqlite), len(postgres))
	}
}

func TestDialectString(t *testing.T) {
	tests := []struct {
		d    Dialect
		want string
	}{{SQLite, "sqlite"}, {Postgres, "postgres"}, {0, "Dialect(0)"}}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("Dialect(%d).String(): got %q, want %q", int(tt.d), got, tt.want)
		}
	}
}
