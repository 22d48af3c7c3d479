package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/client"
)

// offline runs "offline request" and "offline answer": the two halves of
// an offline activation, on the computer with no network and at the
// vendor.
func offline(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("offline: missing subcommand")
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("licgate offline "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch verb {
	case "request":
		return offlineRequest(fs, args, stdout)
	case "answer":
		return offlineAnswer(ctx, fs, args, stdin, stdout)
	}
	return usageError("unknown command %q", "offline "+verb)
}

// offlineRequest is "offline request -key KEY -computer ID [-name NAME]":
// it prints the request file of the computer, made here and now, touching
// neither a server nor a database.
func offlineRequest(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	var key, computer, name string
	fs.StringVar(&key, "key", "", "the activation key of the license (a credential: so is the request file)")
	fs.StringVar(&computer, "computer", "", "the computer ID of this computer, as the licensed program names it")
	fs.StringVar(&name, "name", "", "a name for the computer, shown in activation lists")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if key == "" || computer == "" {
		return usageError("-key and -computer are required")
	}
	// client.NewOfflineRequest is license.NewOfflineRequest made now,
	// indented as a file people may read.
	data, err := client.NewOfflineRequest(key, computer, name)
	if err != nil {
		return fmt.Errorf("offline request: %s", explain(err))
	}
	_, err = stdout.Write(data)
	return err
}

// offlineAnswer is "offline answer [-out FILE] [-server URL] FILE": it
// answers a request file with the license file, as the vendor, on the
// local store (actor cli) or through a server's POST /v1/offline, and
// prints it or writes it to -out.
func offlineAnswer(ctx context.Context, fs *flag.FlagSet, args []string, stdin io.Reader, stdout io.Writer) error {
	var sf storeFlags
	sf.register(fs)
	var server, out, issuer string
	var ttl time.Duration
	fs.StringVar(&server, "server", "", "base URL of a licgate server (https://licgate.example.com) that answers through POST /v1/offline, instead of -data or -db; no token: the key in the request is the credential")
	fs.StringVar(&out, "out", "", "write the license file here (0600) instead of to stdout")
	fs.StringVar(&issuer, "issuer", "licgate", "on the local store: the iss claim of the token, the -issuer of the server whose gates will check it")
	fs.DurationVar(&ttl, "offline-ttl", license.DefaultOfflineTTL, "on the local store: how long the token of the license file lives, bounded by the license's expiry; as serve's -offline-ttl")
	pos, set, err := parseFlagsArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError("the request file is required: licgate offline answer [flags] FILE (- for stdin)")
	}
	local := set["data"] || set["db"]
	switch {
	case server != "" && local && set["server"]:
		return usageError("-server answers through the server: -data and -db do not go with it")
	case local:
		server = "" // from LICGATE_SERVER
	case server != "" && (set["issuer"] || set["offline-ttl"]):
		return usageError("-issuer and -offline-ttl are the server's with -server")
	}
	if server == "" {
		if err := checkOfflineTTL(ttl); err != nil {
			return err
		}
	}
	req, err := readRequestFile(pos[0], stdin)
	if err != nil {
		return err
	}
	var file []byte
	if server != "" {
		file, err = answerRemote(ctx, server, req)
	} else {
		file, err = answerLocal(ctx, &sf, issuer, ttl, req)
	}
	if err != nil {
		var ue usageErr
		if errors.As(err, &ue) {
			return err
		}
		return fmt.Errorf("offline answer: %s", explain(err))
	}
	if out != "" {
		return writePrivate(out, file)
	}
	_, err = stdout.Write(file)
	return err
}

// checkOfflineTTL checks -offline-ttl against the bounds of
// [license.WithOfflineTTL], before anything is opened.
func checkOfflineTTL(d time.Duration) error {
	if d < license.MinOfflineTTL || d > license.MaxOfflineTTL {
		return usageError("-offline-ttl must be from %v to %v (10 years), not %v", license.MinOfflineTTL, license.MaxOfflineTTL, d)
	}
	return nil
}

// readRequestFile reads a request file, or stdin for "-", at most
// [license.MaxOfflineFileBytes] and a byte, so that the parser refuses a
// larger one.
func readRequestFile(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return io.ReadAll(io.LimitReader(r, license.MaxOfflineFileBytes+1))
}

// answerLocal answers the request on the store of sf, as the command
// line.
func answerLocal(ctx context.Context, sf *storeFlags, issuer string, ttl time.Duration, data []byte) ([]byte, error) {
	req, err := license.ParseOfflineRequest(data)
	if err != nil {
		return nil, err
	}
	svc, done, err := sf.service(ctx, license.WithIssuer(issuer), license.WithOfflineTTL(ttl))
	if err != nil {
		return nil, err
	}
	defer done()
	f, err := svc.ActivateOffline(license.WithActor(ctx, license.Actor{Name: "cli", Protocol: "cli"}), req)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(f)
	return append(b, '\n'), err
}

// answerRemote sends the request to the server's POST /v1/offline with
// the Go client of the JSON protocol.
func answerRemote(ctx context.Context, server string, data []byte) ([]byte, error) {
	c, err := client.New(strings.TrimSuffix(server, "/"))
	if err != nil {
		return nil, usageError("-server %q: %v", server, err)
	}
	return c.Offline(ctx, data)
}

// writePrivate writes data to the file at path with 0600 permissions,
// replacing what it held: a license file holds a token.
func writePrivate(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
