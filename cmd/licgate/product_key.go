package main

import (
	"context"
	"crypto/rsa"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/qlm"
)

// The product commands of signed QLM answers: importing a product's RSA
// key and choosing its algorithm (product add, product set-signature), and
// printing its public key for the programs that verify (product key).

// signingFlags are -rsa-key and -signature.
type signingFlags struct {
	keyFile string
	alg     string
}

func (f *signingFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.keyFile, "rsa-key", "", "file of the product's RSA private key that signs its QLM answers, to import: .NET <RSAKeyValue> XML with the private parts (as QLM keeps it) or PEM (PKCS #1 or #8), at least 2048 bits; none for a new 2048-bit key")
	fs.StringVar(&f.alg, "signature", "", "algorithm of the signed QLM answers: rsa-sha1 (QLM's default) or rsa-sha256")
}

// key reads the key file, or returns nil if there is none.
func (f *signingFlags) key() (*rsa.PrivateKey, error) {
	if f.keyFile == "" {
		return nil, nil
	}
	file, err := os.Open(f.keyFile)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, qlm.MaxKeyFile+1))
	if err != nil {
		return nil, err
	}
	k, err := qlm.ParseRSAPrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("-rsa-key %s: %s", f.keyFile, explain(err))
	}
	return k, nil
}

// algorithm returns -signature, checked.
func (f *signingFlags) algorithm() (license.SignatureAlgorithm, error) {
	switch a := license.SignatureAlgorithm(f.alg); a {
	case "", license.SignatureRSASHA1, license.SignatureRSASHA256:
		return a, nil
	}
	return "", usageError("-signature %q is neither %s nor %s", f.alg, license.SignatureRSASHA1, license.SignatureRSASHA256)
}

// apply sets the key and the algorithm of a product to create.
func (f *signingFlags) apply(p *license.Product) error {
	alg, err := f.algorithm()
	if err != nil {
		return err
	}
	k, err := f.key()
	if err != nil {
		return err
	}
	p.RSAKey, p.SignatureAlgorithm = k, alg
	return nil
}

// productSetSignature is "product set-signature -id ID [-signature ALG]
// [-rsa-key FILE]": it changes the algorithm, or imports a key in place of
// the product's, and prints the product.
func productSetSignature(fs *flag.FlagSet) command {
	var id string
	var sf signingFlags
	fs.StringVar(&id, "id", "", "product ID")
	sf.register(fs)
	return func(ctx context.Context, b backend) (any, error) {
		if id == "" {
			return nil, usageError("-id is required")
		}
		if sf.alg == "" && sf.keyFile == "" {
			return nil, usageError("-signature or -rsa-key is required")
		}
		if _, remote := b.(remoteBackend); remote {
			return nil, errSetSignatureRemote
		}
		var p license.Product
		if err := sf.apply(&p); err != nil {
			return nil, err
		}
		return b.SetProductSigning(ctx, id, p.RSAKey, p.SignatureAlgorithm)
	}
}

// productPublicKey is what "product key" prints.
type productPublicKey struct {
	ID                 string                     `json:"id"`
	SignatureAlgorithm license.SignatureAlgorithm `json:"signatureAlgorithm"`
	// PublicKeyPEM is the PKIX "PUBLIC KEY" block.
	PublicKeyPEM string `json:"publicKeyPEM"`
	// RSAKeyValue is the .NET form QLM's clients hold.
	RSAKeyValue string `json:"rsaKeyValue"`
}

// rawOutput is printed as it is, not as JSON.
type rawOutput []byte

// productKey is "product key -id ID [-format json|pem|xml]": it prints the
// public key that verifies the product's QLM answers, giving a product
// made before products had keys its key first.
func productKey(fs *flag.FlagSet) command {
	var id, format string
	fs.StringVar(&id, "id", "", "product ID")
	fs.StringVar(&format, "format", "json", "json (both forms), pem (PKIX PUBLIC KEY) or xml (.NET <RSAKeyValue>, as QLM's clients hold it)")
	return func(ctx context.Context, b backend) (any, error) {
		if id == "" {
			return nil, usageError("-id is required")
		}
		switch format {
		case "json", "pem", "xml":
		default:
			return nil, usageError("-format %q is none of json, pem, xml", format)
		}
		p, err := b.ProductKey(ctx, id)
		if err != nil {
			return nil, err
		}
		pemKey, err := qlm.MarshalPublicKeyPEM(p.Key)
		if err != nil {
			return nil, err
		}
		xmlKey := qlm.MarshalRSAKeyValue(p.Key)
		switch format {
		case "pem":
			return rawOutput(pemKey), nil
		case "xml":
			return rawOutput(append(xmlKey, '\n')), nil
		}
		alg := p.Algorithm
		if alg == "" {
			alg = license.SignatureRSASHA1
		}
		return productPublicKey{ID: p.ID, SignatureAlgorithm: alg, PublicKeyPEM: string(pemKey), RSAKeyValue: string(xmlKey)}, nil
	}
}
