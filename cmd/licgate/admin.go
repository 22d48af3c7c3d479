package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
)

// admin runs the product, license and activation subcommands against the
// same store the server uses; SQLite's WAL lets them run while it serves.
func admin(ctx context.Context, noun string, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("%s: missing subcommand", noun)
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("licgate "+noun+" "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)

	var run func(context.Context, *license.Service) (any, error)
	switch noun + " " + verb {
	case "product add":
		var p license.Product
		fs.StringVar(&p.ID, "id", "", "product ID (letters, digits, '-', '_', '.')")
		fs.StringVar(&p.Name, "name", "", "product name")
		fs.IntVar(&p.Major, "major", 1, "major version")
		fs.IntVar(&p.Minor, "minor", 0, "minor version")
		run = func(ctx context.Context, s *license.Service) (any, error) { return s.CreateProduct(ctx, p) }
	case "product list":
		run = func(ctx context.Context, s *license.Service) (any, error) { return s.Products(ctx) }
	case "license add":
		var n license.NewLicense
		var expires, features string
		fs.StringVar(&n.ProductID, "product", "", "product ID")
		fs.StringVar(&n.Email, "email", "", "customer email address")
		fs.StringVar(&n.Phone, "phone", "", "customer mobile number, for codes by SMS")
		fs.StringVar(&n.Name, "name", "", "customer name")
		fs.StringVar(&n.Company, "company", "", "customer company")
		fs.IntVar(&n.Seats, "seats", 1, "computers that may hold an activation at once")
		fs.StringVar(&expires, "expires", "", "last day of the license, YYYY-MM-DD: it ends at 23:59:59 UTC that day; empty for never")
		fs.StringVar(&features, "features", "", "comma-separated features")
		run = func(ctx context.Context, s *license.Service) (any, error) {
			if expires != "" {
				d, err := time.Parse(time.DateOnly, expires)
				if err != nil {
					return nil, usageError("-expires %q is not YYYY-MM-DD", expires)
				}
				n.ExpiresAt = d.Add(24*time.Hour - time.Second) // through the day, as QLM writes it
			}
			for _, f := range strings.Split(features, ",") {
				if f = strings.TrimSpace(f); f != "" {
					n.Features = append(n.Features, f)
				}
			}
			return s.CreateLicense(ctx, n)
		}
	case "license list":
		var product string
		fs.StringVar(&product, "product", "", "only licenses of this product")
		run = func(ctx context.Context, s *license.Service) (any, error) { return nonNil(s.Licenses(ctx, product)) }
	case "license suspend", "license revoke", "license resume":
		var id string
		fs.StringVar(&id, "id", "", "license ID")
		st := map[string]license.Status{"suspend": license.StatusSuspended, "revoke": license.StatusRevoked, "resume": license.StatusActive}[verb]
		run = func(ctx context.Context, s *license.Service) (any, error) {
			if id == "" {
				return nil, usageError("-id is required")
			}
			return s.SetLicenseStatus(ctx, strings.ToLower(id), st)
		}
	case "activation list":
		var lic string
		fs.StringVar(&lic, "license", "", "only activations of this license ID")
		run = func(ctx context.Context, s *license.Service) (any, error) { return nonNil(s.Activations(ctx, lic)) }
	case "activation revoke":
		var aid string
		fs.StringVar(&aid, "aid", "", "activation ID")
		run = func(ctx context.Context, s *license.Service) (any, error) {
			if aid == "" {
				return nil, usageError("-aid is required")
			}
			return s.RevokeActivation(ctx, strings.ToLower(aid))
		}
	default:
		return usageError("unknown command %q", noun+" "+verb)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, db, err := sf.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	defer st.Close()
	sec, err := sf.loadSecrets()
	if err != nil {
		return err
	}
	svc, err := license.NewService(st, license.WithKeySet(sec.keys), license.WithSecret(sec.secret))
	if err != nil {
		return err
	}
	defer svc.Close(ctx)
	v, err := run(ctx, svc)
	if err != nil {
		return fmt.Errorf("%s %s: %w", noun, verb, err)
	}
	return writeJSON(stdout, v)
}

// nonNil turns a nil slice into an empty one, so JSON prints [] not null.
func nonNil[T any](s []T, err error) ([]T, error) {
	if s == nil {
		s = []T{}
	}
	return s, err
}
