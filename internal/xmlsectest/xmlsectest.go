package xmlsectest

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// Verify verifies the signed XML file with xmlsec1, trusting only the
// public key in the PEM file pubPEM, and returns xmlsec1's output and
// whether it failed. Without xmlsec1 the test is skipped, except when the
// CI environment variable is set, where its absence fails the test.
func Verify(tb testing.TB, file, pubPEM string) ([]byte, error) {
	tb.Helper()
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("CI") == "" {
			tb.Skip("xmlsec1 is not installed (apt-get install xmlsec1); CI runs this test")
		}
		tb.Fatal("xmlsec1 is not installed, and CI needs it: .ci/run installs it")
	}
	args := []string{"--verify", "--pubkey-pem", pubPEM}
	if v, err := exec.Command(bin, "--version").Output(); err == nil && !bytes.HasPrefix(v, []byte("xmlsec1 1.2.")) {
		// xmlsec1 1.3 looks keys up strictly by default: a signature
		// without KeyInfo would find none of those loaded.
		args = append(args, "--lax-key-search")
	}
	return exec.Command(bin, append(args, file)...).CombinedOutput()
}
