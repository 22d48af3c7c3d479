package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
)

// admin runs the product, license and activation subcommands against the
// store the server uses; SQLite's WAL lets them run while it serves. They
// never create a database: pointed at a place that holds none, they say so
// and leave it as it was.
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
		var sf signingFlags
		sf.register(fs)
		run = func(ctx context.Context, s *license.Service) (any, error) {
			if err := sf.apply(&p); err != nil {
				return nil, err
			}
			created, err := s.CreateProduct(ctx, p)
			if errors.Is(err, license.ErrConflict) {
				return nil, fmt.Errorf("the product %q already exists", p.ID)
			}
			return created, err
		}
	case "product key":
		run = productKey(fs)
	case "product set-signature":
		run = productSetSignature(fs)
	case "product list":
		run = func(ctx context.Context, s *license.Service) (any, error) { return nonNil(s.Products(ctx)) }
	case "license add":
		var n license.NewLicense
		var expires, features string
		fs.StringVar(&n.ProductID, "product", "", "product ID")
		fs.StringVar(&n.Email, "email", "", "customer email address, for codes by email; empty for a license sold by product key whose holder registers later")
		fs.StringVar(&n.Phone, "phone", "", "customer mobile number, for codes by SMS")
		fs.StringVar(&n.Name, "name", "", "customer name")
		fs.StringVar(&n.Company, "company", "", "customer company")
		fs.IntVar(&n.Seats, "seats", 1, "computers that may hold an activation at once, at least 1")
		fs.StringVar(&expires, "expires", "", "last day of the license, YYYY-MM-DD: it ends at 23:59:59 UTC that day; empty for never")
		fs.StringVar(&features, "features", "", "comma-separated features")
		run = func(ctx context.Context, s *license.Service) (any, error) {
			if n.ProductID == "" {
				return nil, usageError("-product is required")
			}
			if n.Seats < 1 {
				return nil, usageError("-seats must be at least 1, not %d", n.Seats)
			}
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
			if _, err := s.Product(ctx, n.ProductID); err != nil {
				return nil, named(err, "product", n.ProductID)
			}
			return s.CreateLicense(ctx, n)
		}
	case "license list":
		var product string
		fs.StringVar(&product, "product", "", "only licenses of this product")
		run = func(ctx context.Context, s *license.Service) (any, error) {
			if product != "" {
				if _, err := s.Product(ctx, product); err != nil {
					return nil, named(err, "product", product)
				}
			}
			return nonNil(s.Licenses(ctx, product))
		}
	case "license suspend", "license revoke", "license resume":
		var id string
		fs.StringVar(&id, "id", "", "license ID")
		st := map[string]license.Status{"suspend": license.StatusSuspended, "revoke": license.StatusRevoked, "resume": license.StatusActive}[verb]
		run = func(ctx context.Context, s *license.Service) (any, error) {
			if id == "" {
				return nil, usageError("-id is required")
			}
			l, err := s.SetLicenseStatus(ctx, strings.ToLower(id), st)
			return l, named(err, "license", id)
		}
	case "activation list":
		var lic string
		fs.StringVar(&lic, "license", "", "only activations of this license ID")
		run = func(ctx context.Context, s *license.Service) (any, error) {
			if lic != "" {
				if _, err := s.License(ctx, strings.ToLower(lic)); err != nil {
					return nil, named(err, "license", lic)
				}
			}
			return nonNil(s.Activations(ctx, strings.ToLower(lic)))
		}
	case "activation revoke":
		var aid string
		fs.StringVar(&aid, "aid", "", "activation ID")
		run = func(ctx context.Context, s *license.Service) (any, error) {
			if aid == "" {
				return nil, usageError("-aid is required")
			}
			a, err := s.RevokeActivation(ctx, strings.ToLower(aid))
			return a, named(err, "activation", aid)
		}
	default:
		return usageError("unknown command %q", noun+" "+verb)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, db, err := sf.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	defer st.Close()
	sec, err := sf.loadSecrets(false)
	if err != nil {
		return err
	}
	svc, err := license.NewService(st, license.WithKeySet(sec.keys), license.WithSecret(sec.secret))
	if err != nil {
		return err
	}
	defer svc.Close(ctx)
	v, err := run(ctx, svc)
	var ue usageErr
	switch {
	case errors.As(err, &ue):
		return err
	case err != nil:
		return fmt.Errorf("%s %s: %s", noun, verb, explain(err))
	}
	if raw, ok := v.(rawOutput); ok {
		_, err := stdout.Write(raw)
		return err
	}
	return writeJSON(stdout, v)
}

// named makes a not-found error that does not say what was not found name
// it; other errors, and nil, are returned as they are.
func named(err error, what, id string) error {
	var nf *license.NotFoundError
	if errors.Is(err, license.ErrNotFound) && !errors.As(err, &nf) {
		return license.NotFound(what, id)
	}
	return err
}

// explain returns the sentence of [license.Explain] for the errors of the
// service it knows, and the error's own text, which has the detail an
// operator needs, for the others (a database's or the file system's).
func explain(err error) string {
	// What Explain says of an error it does not know.
	unknown := license.Explain(errors.New("unknown"))
	if s := license.Explain(err); s != unknown {
		return s
	}
	return err.Error()
}

// nonNil turns a nil slice into an empty one, so JSON prints [] not null.
func nonNil[T any](s []T, err error) ([]T, error) {
	if s == nil {
		s = []T{}
	}
	return s, err
}
