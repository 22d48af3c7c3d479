package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
)

// runAdmin runs the product, license, activation, audit and webhook
// subcommands: against the store the server uses (SQLite's WAL lets them
// run while it serves), or with -server through a server's admin API. On
// the store, they never create a database: pointed at a place that holds
// none, they say so and leave it as it was.
func runAdmin(ctx context.Context, noun string, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("%s: missing subcommand", noun)
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("licgate "+noun+" "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var where backendFlags
	where.register(fs)
	run, err := adminCommand(fs, noun, verb)
	if err != nil {
		return err
	}
	set, err := parseFlagsSet(fs, args)
	if err != nil {
		return err
	}
	if err := where.resolve(set); err != nil {
		return err
	}
	b, done, err := where.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	if where.local() {
		ctx = license.WithActor(ctx, license.Actor{Name: "cli", Protocol: "cli"})
	}
	v, err := run(ctx, b)
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

// command is an admin command, its flags parsed: it does its work through
// b and returns what to print.
type command func(ctx context.Context, b backend) (any, error)

// adminCommand registers the flags of "noun verb" in fs and returns the
// command.
func adminCommand(fs *flag.FlagSet, noun, verb string) (command, error) {
	switch noun + " " + verb {
	case "product add":
		var p license.Product
		fs.StringVar(&p.ID, "id", "", "product ID (letters, digits, '-', '_', '.')")
		fs.StringVar(&p.Name, "name", "", "product name")
		fs.IntVar(&p.Major, "major", 1, "major version")
		fs.IntVar(&p.Minor, "minor", 0, "minor version")
		var sf signingFlags
		sf.register(fs)
		return func(ctx context.Context, b backend) (any, error) {
			if _, remote := b.(remoteBackend); remote && sf.keyFile != "" {
				return nil, errNeedsDatabase("importing a product's RSA key (-rsa-key)")
			}
			if err := sf.apply(&p); err != nil {
				return nil, err
			}
			return b.CreateProduct(ctx, p)
		}, nil
	case "product key":
		return productKey(fs), nil
	case "product set-signature":
		return productSetSignature(fs), nil
	case "product list":
		return func(ctx context.Context, b backend) (any, error) { return nonNil(b.Products(ctx)) }, nil
	case "license add":
		return licenseAdd(fs), nil
	case "license list":
		var product string
		fs.StringVar(&product, "product", "", "only licenses of this product")
		return func(ctx context.Context, b backend) (any, error) { return nonNil(b.Licenses(ctx, product)) }, nil
	case "license update":
		return licenseUpdate(fs), nil
	case "license suspend", "license revoke", "license resume":
		var id string
		fs.StringVar(&id, "id", "", "license ID")
		st := map[string]license.Status{"suspend": license.StatusSuspended, "revoke": license.StatusRevoked, "resume": license.StatusActive}[verb]
		return func(ctx context.Context, b backend) (any, error) {
			if id == "" {
				return nil, usageError("-id is required")
			}
			return b.UpdateLicense(ctx, id, licenseChange{Status: &st})
		}, nil
	case "activation list":
		var lic string
		fs.StringVar(&lic, "license", "", "only activations of this license ID")
		return func(ctx context.Context, b backend) (any, error) { return nonNil(b.Activations(ctx, lic)) }, nil
	case "activation revoke":
		var aid string
		fs.StringVar(&aid, "aid", "", "activation ID")
		return func(ctx context.Context, b backend) (any, error) {
			if aid == "" {
				return nil, usageError("-aid is required")
			}
			return b.RevokeActivation(ctx, aid)
		}, nil
	case "audit list":
		return auditList(fs), nil
	case "webhook add":
		var u string
		fs.StringVar(&u, "url", "", "absolute http or https URL that receives the events")
		return func(ctx context.Context, b backend) (any, error) {
			if u == "" {
				return nil, usageError("-url is required")
			}
			w, err := b.CreateWebhook(ctx, u)
			if err != nil {
				return nil, err
			}
			return newWebhook{ID: w.ID, URL: w.URL, Secret: w.Secret, CreatedAt: w.CreatedAt}, nil
		}, nil
	case "webhook list":
		return func(ctx context.Context, b backend) (any, error) { return nonNil(b.Webhooks(ctx)) }, nil
	case "webhook delete", "webhook deliveries":
		var id string
		fs.StringVar(&id, "id", "", "webhook ID")
		return func(ctx context.Context, b backend) (any, error) {
			if id == "" {
				return nil, usageError("-id is required")
			}
			if verb == "delete" {
				return b.DeleteWebhook(ctx, id)
			}
			return nonNil(b.WebhookAttempts(ctx, id))
		}, nil
	}
	return nil, usageError("unknown command %q", noun+" "+verb)
}

// newWebhook is what "webhook add" prints: the webhook with its signing
// secret, shown this once.
type newWebhook struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Secret    string    `json:"secret"`
	CreatedAt time.Time `json:"createdAt"`
}

// licenseAdd is "license add".
func licenseAdd(fs *flag.FlagSet) command {
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
	fs.BoolVar(&n.Floating, "floating", false, "a floating license: its seats are leases held by running programs (POST /v1/leases), not activations of computers; it stays floating")
	fs.DurationVar(&n.LeaseTTL, "lease-ttl", 0, "with -floating: how long a lease lives without a heartbeat, whole seconds from 10s to 168h (0: 15m)")
	return func(ctx context.Context, b backend) (any, error) {
		if n.ProductID == "" {
			return nil, usageError("-product is required")
		}
		if n.Seats < 1 {
			return nil, usageError("-seats must be at least 1, not %d", n.Seats)
		}
		if n.LeaseTTL != 0 {
			if !n.Floating {
				return nil, usageError("-lease-ttl goes with -floating: only a floating license has leases")
			}
			if err := checkLeaseTTL(n.LeaseTTL); err != nil {
				return nil, err
			}
		}
		if expires != "" {
			d, err := parseExpires(expires, false)
			if err != nil {
				return nil, err
			}
			n.ExpiresAt = d
		}
		n.Features = splitFeatures(features)
		return b.CreateLicense(ctx, n)
	}
}

// checkLeaseTTL checks the value of -lease-ttl.
func checkLeaseTTL(d time.Duration) error {
	if d%time.Second != 0 || d < license.MinLeaseTTL || d > license.MaxLeaseTTL {
		return usageError("-lease-ttl must be whole seconds from %v to %v, not %v", license.MinLeaseTTL, license.MaxLeaseTTL, d)
	}
	return nil
}

// licenseUpdate is "license update -id ID [-seats N] [-expires
// YYYY-MM-DD|never] [-features a,b] [-lease-ttl D]": it changes what is
// given and prints the license.
func licenseUpdate(fs *flag.FlagSet) command {
	var id string
	var seats, expires, features, leaseTTL optional
	fs.StringVar(&id, "id", "", "license ID")
	fs.Var(&seats, "seats", "computers that may hold an activation at once, at least 1")
	fs.Var(&expires, "expires", "last day of the license, YYYY-MM-DD (it ends at 23:59:59 UTC that day), or never")
	fs.Var(&features, "features", "comma-separated features, replacing the license's; empty for none")
	fs.Var(&leaseTTL, "lease-ttl", "of a floating license: how long a lease lives without a heartbeat from now on, whole seconds from 10s to 168h")
	return func(ctx context.Context, b backend) (any, error) {
		if id == "" {
			return nil, usageError("-id is required")
		}
		var c licenseChange
		if seats.set {
			n, err := strconv.Atoi(seats.v)
			if err != nil || n < 1 {
				return nil, usageError("-seats must be a number of at least 1, not %q", seats.v)
			}
			c.Seats = &n
		}
		if expires.set {
			d, err := parseExpires(expires.v, true)
			if err != nil {
				return nil, err
			}
			c.ExpiresAt = &d
		}
		if features.set {
			f := splitFeatures(features.v)
			c.Features = &f
		}
		if leaseTTL.set {
			d, err := time.ParseDuration(leaseTTL.v)
			if err != nil {
				return nil, usageError("-lease-ttl %q is not a duration such as 15m", leaseTTL.v)
			}
			if err := checkLeaseTTL(d); err != nil {
				return nil, err
			}
			n := int(d / time.Second)
			c.LeaseSeconds = &n
		}
		if c.Seats == nil && c.ExpiresAt == nil && c.Features == nil && c.LeaseSeconds == nil {
			return nil, usageError("-seats, -expires, -features or -lease-ttl is required")
		}
		return b.UpdateLicense(ctx, id, c)
	}
}

// optional is a string flag that remembers whether it was set.
type optional struct {
	v   string
	set bool
}

// String implements flag.Value.
func (o *optional) String() string { return o.v }

// Set implements flag.Value.
func (o *optional) Set(s string) error {
	o.v, o.set = s, true
	return nil
}

// parseExpires reads the value of -expires: a day, YYYY-MM-DD, through
// whose end a license lasts, as QLM writes it, or with never (license
// update) "never", the zero time.
func parseExpires(s string, never bool) (time.Time, error) {
	if never && s == "never" {
		return time.Time{}, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		if never {
			return time.Time{}, usageError("-expires %q is neither YYYY-MM-DD nor never", s)
		}
		return time.Time{}, usageError("-expires %q is not YYYY-MM-DD", s)
	}
	return d.Add(24*time.Hour - time.Second), nil // through the day, as QLM writes it
}

// splitFeatures splits the value of -features at commas, dropping blanks.
func splitFeatures(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// auditList is "audit list [-since RFC3339] [-target license/ID] [-limit
// N]": the events of the audit trail, oldest first, every page of them.
func auditList(fs *flag.FlagSet) command {
	var since, target string
	var limit int
	fs.StringVar(&since, "since", "", "only events at or after this time, RFC 3339 (2025-01-31T00:00:00Z)")
	fs.StringVar(&target, "target", "", "only events of this target: license/ID, activation/AID, product/ID, webhook/ID or token/NAME")
	fs.IntVar(&limit, "limit", 0, "print at most this many events, the oldest first (0: all)")
	return func(ctx context.Context, b backend) (any, error) {
		var q license.AuditQuery
		if since != "" {
			t, err := time.Parse(time.RFC3339, since)
			if err != nil {
				return nil, usageError("-since %q is not an RFC 3339 time such as 2025-01-31T00:00:00Z", since)
			}
			q.Since = t
		}
		if limit < 0 {
			return nil, usageError("-limit must not be negative, not %d", limit)
		}
		q.Target = target
		return b.Audit(ctx, q, limit)
	}
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
// operator needs, for the others (a database's or the file system's, or
// the detail of an admin API's problem).
func explain(err error) string {
	if d, ok := problemDetail(err); ok {
		return d
	}
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
