package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/licgate/licgate/license"
)

// tokens runs "token create|list|revoke", the admin tokens of the admin
// API. They work on the local store only: a token is made where the
// database is, and shown once.
func tokens(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("token: missing subcommand")
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("licgate token "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	var server string
	fs.StringVar(&server, "server", "", "refused: tokens are made where the database is")
	var run func(context.Context, *license.Service) (any, error)
	switch verb {
	case "create":
		var name, scope string
		fs.StringVar(&name, "name", "", "the token's unique name, which the audit trail shows for what it does (shop, crm)")
		fs.StringVar(&scope, "scope", string(license.ScopeAdmin), "admin (read and change everything) or read (read only)")
		run = func(ctx context.Context, s *license.Service) (any, error) {
			if name == "" {
				return nil, usageError("-name is required")
			}
			switch license.Scope(scope) {
			case license.ScopeAdmin, license.ScopeRead:
			default:
				return nil, usageError("-scope %q is neither admin nor read", scope)
			}
			t, secret, err := s.CreateAdminToken(ctx, name, license.Scope(scope))
			if errors.Is(err, license.ErrConflict) {
				return nil, fmt.Errorf("a token named %q exists already: revoke it first, or choose another name", name)
			}
			if err != nil {
				return nil, err
			}
			return newToken{Name: t.Name, Scope: t.Scope, Token: secret}, nil
		}
	case "list":
		run = func(ctx context.Context, s *license.Service) (any, error) { return nonNil(s.AdminTokens(ctx)) }
	case "revoke":
		var name string
		fs.StringVar(&name, "name", "", "name of the token to revoke")
		run = func(ctx context.Context, s *license.Service) (any, error) {
			if name == "" {
				return nil, usageError("-name is required")
			}
			ts, err := s.AdminTokens(ctx)
			if err != nil {
				return nil, err
			}
			for _, t := range ts {
				if t.Name == name {
					return t, s.RevokeAdminToken(ctx, name)
				}
			}
			return nil, license.NotFound("token", name)
		}
	default:
		return usageError("unknown command %q", "token "+verb)
	}
	set, err := parseFlagsSet(fs, args)
	if err != nil {
		return err
	}
	if server != "" && (set["server"] || !set["data"] && !set["db"]) {
		return fmt.Errorf("token %s: admin tokens are made, listed and revoked where the database is, not through -server (or LICGATE_SERVER): run it with -data or -db on the server's machine", verb)
	}
	s, done, err := sf.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	v, err := run(license.WithActor(ctx, license.Actor{Name: "cli", Protocol: "cli"}), s)
	if err != nil {
		if _, ok := err.(usageErr); ok {
			return err
		}
		return fmt.Errorf("token %s: %s", verb, explain(err))
	}
	return writeJSON(stdout, v)
}

// newToken is what "token create" prints: the token, shown this once.
type newToken struct {
	Name  string        `json:"name"`
	Scope license.Scope `json:"scope"`
	Token string        `json:"token"`
}
