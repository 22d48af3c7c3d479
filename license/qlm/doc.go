// Package qlm serves Soraco Quick License Manager's HTTP methods, so that
// programs built for a QLM license server activate against licgate unchanged.
//
// [Handler] answers
//
//   - RequestAuthorizationCodeForActivationHttp: a 6-digit code by email or SMS;
//   - ActivateKeyByAuthorizationCodeHttp: activation with that code;
//   - ValidateLicenseHttp: activation by activation key, and re-validation
//     with a computer key (is_pckey);
//   - ReleaseLicenseHttp: freeing a seat, by the vendor ([WithRelease]) or
//     by the client that holds it, with its computer key and within a
//     release budget per license ([WithSelfRelease]); off unless one is given;
//   - ActivateKey: the e-commerce activation a vendor's store calls, behind
//     vendor credentials ([WithActivateKey]); off unless given;
//   - PingHttp.
//
// # Wire rules
//
// The method is the last segment of the URL path, in any case. Arguments
// are read as ASP.NET's Request.Params reads them: the query string and a
// form body, split on '&' only, '+' a space, an invalid '%' escape kept as
// it is, %uXXXX understood, names compared without regard to case, and the
// values of a name given twice joined with commas, the query's first;
// is_minorverson is accepted for is_minorversion. Every answer is 200 with
// text/xml; charset=utf-8 and a <QuickLicenseManager> fragment. Failures are
// <error> alone, as QLM documents them; license answers carry the
// ValidateLicenseHttp element set, <status> with QLM's ELicenseStatus bits,
// and the activation token in an added <activationToken> element.
//
// # Signatures
//
// License answers (ValidateLicenseHttp, ActivateKeyByAuthorizationCodeHttp,
// ActivateKey) carry an enveloped XML-DSig signature by the product's RSA
// key ([license.Product].RSAKey), as QLM's cross-platform clients expect
// of the answer they keep as their license file: see [SignAnswer]. A
// vendor moving from QLM imports the key its programs trust with
// [ParseRSAPrivateKey] (.NET <RSAKeyValue> or PEM); [MarshalRSAKeyValue]
// and [MarshalPublicKeyPEM] export the public part for the programs.
//
// The handler holds no rules: it translates to and from [license.Service].
package qlm
