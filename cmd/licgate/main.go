package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Run executes the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd, rest := "serve", args
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, rest = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, rest, stdout, stderr)
	case "product", "license", "activation", "audit", "webhook":
		err = runAdmin(ctx, cmd, rest, stdout, stderr)
	case "token":
		err = tokens(ctx, rest, stdout, stderr)
	case "offline":
		err = offline(ctx, rest, os.Stdin, stdout, stderr)
	case "keys":
		err = keys(ctx, rest, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = usageError("unknown command %q", cmd)
	}
	if err == nil {
		return 0
	}
	if err == errHelp {
		return 0
	}
	fmt.Fprintln(stderr, "licgate:", err)
	if _, ok := err.(usageErr); ok {
		fmt.Fprint(stderr, usage)
		return 2
	}
	return 1
}

const usage = `usage:
  licgate [serve] [-addr 127.0.0.1:8080] [-data ./licgate-data] [-db DSN] [-db-max-open 32] [-db-max-idle N]
                  [-admin-addr ADDR] [-webhook-retries 5s,30s,…]
                  [-smtp URL] [-mail-from ADDR] [-sms-url URL] [-sms-from NUMBER] [-notify-log]
                  [-demo=true] [-secure-cookies] [-offline-ttl 2160h] …
  licgate product add -id ID -name NAME [-major N] [-minor N] [-rsa-key FILE] [-signature rsa-sha1|rsa-sha256]
  licgate product set-signature -id ID [-signature rsa-sha1|rsa-sha256] [-rsa-key FILE]
  licgate product key -id ID [-format json|pem|xml]
  licgate product list
  licgate license add -product ID [-email EMAIL] [-phone P] [-name N] [-company C] [-seats N]
                      [-expires YYYY-MM-DD] [-features a,b] [-floating [-lease-ttl 15m]]
  licgate license update -id ID [-seats N] [-expires YYYY-MM-DD|never] [-features a,b] [-lease-ttl D]
  licgate license list [-product ID]
  licgate license suspend|resume|revoke -id ID
  licgate activation list [-license ID]
  licgate activation revoke -aid AID
  licgate audit list [-since RFC3339] [-target license/ID] [-limit N]
  licgate webhook add -url URL
  licgate webhook list
  licgate webhook delete|deliveries -id ID
  licgate token create -name NAME [-scope admin|read]
  licgate token list
  licgate token revoke -name NAME
  licgate offline request -key KEY -computer ID [-name NAME]
  licgate offline answer [-out FILE] [-server URL] REQUEST-FILE|-
  licgate keys [-server URL]
Every command but offline request and keys takes -data and -db (keys takes
-data only). serve creates the database, signing key and secret on its first
run; the other commands only use them, and refuse a -data or -db that holds
no licgate database. -db-max-open and -db-max-idle size the
PostgreSQL pool: serve opens -db-max-idle connections (default: as many as
-db-max-open) at start and keeps them open while idle.
The product, license, activation, audit and webhook commands also take
-server URL and -token TOKEN (or LICGATE_SERVER and LICGATE_TOKEN): then they
work through the admin API of the server at URL, from any machine, and print
the same. The token commands work only where the database is.
offline request writes the request file of a computer with no network, from
its activation key, and needs neither server nor database. offline answer
answers it with the license file, on the local database or with -server
URL through the server's POST /v1/offline (no token: the key inside is the
credential). keys prints the key IDs of the server's signing keys, the
thumbprints a program pins to trust its license files, comma-separated:
from -data, or with -server from the server's /.well-known/jwks.json.
Run "licgate COMMAND -h" for its flags.
`

type usageErr struct{ msg string }

func (e usageErr) Error() string { return e.msg }

func usageError(format string, args ...any) error { return usageErr{fmt.Sprintf(format, args...)} }
