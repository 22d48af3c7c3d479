// Package xmlsectest verifies XML signatures in tests with xmlsec1, an
// implementation independent of licgate's (libxml2's canonicalization,
// OpenSSL's RSA), from Debian's xmlsec1 package, which .ci/run installs.
package xmlsectest
