package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
)

// jwksPath is where licgate serve publishes its public keys.
const jwksPath = "/.well-known/jwks.json"

// keys is "keys [-data DIR | -server URL]": it prints the key IDs of the
// server's signing keys, comma-separated, ready for a program's pins
// (selfgate's -pin, client.WithPinnedKeys, middleware.WithPinnedKeys).
// A key's ID is its RFC 7638 thumbprint, the "kid" of the JWKS.
func keys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("licgate keys", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var data, server string
	fset.StringVar(&data, "data", "./licgate-data", "directory holding the server's signing key ("+signingKeyFile+")")
	fset.StringVar(&server, "server", "", "base URL of a licgate server whose "+jwksPath+" to read, instead of -data")
	set, err := parseFlagsSet(fset, args)
	if err != nil {
		return err
	}
	switch {
	case set["data"] && set["server"]:
		return usageError("-server reads the server's published keys: -data does not go with it")
	case set["data"]:
		server = "" // from LICGATE_SERVER
	}
	var jwks []byte
	if server != "" {
		jwks, err = fetchJWKS(ctx, server)
	} else {
		jwks, err = localJWKS(data)
	}
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	ids, err := keyIDs(jwks)
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	_, err = fmt.Fprintln(stdout, strings.Join(ids, ","))
	return err
}

// localJWKS returns the JWKS of the signing key in the data directory,
// as serve publishes it; it makes no key.
func localJWKS(data string) ([]byte, error) {
	path := filepath.Join(data, signingKeyFile)
	pemBytes, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		sf := storeFlags{data: data}
		return nil, sf.noDatabase(path + " does not exist")
	}
	if err != nil {
		return nil, err
	}
	k, err := license.ParseSigningKeyPEM(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ks, err := license.NewKeySet(k)
	if err != nil {
		return nil, err
	}
	return ks.JWKS(), nil
}

// fetchJWKS reads the JWKS the server at base publishes.
func fetchJWKS(ctx context.Context, base string) ([]byte, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError("-server %q is not an absolute http or https URL", base)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+jwksPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", req.URL.Redacted(), resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

// keyIDs returns the kid of every key of a JWKS, in its order.
func keyIDs(jwks []byte) ([]string, error) {
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, fmt.Errorf("the key set is not a JWKS: %v", err)
	}
	var ids []string
	for _, k := range set.Keys {
		if k.Kid != "" {
			ids = append(ids, k.Kid)
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("the key set has no key with a key ID")
	}
	return ids, nil
}
