// Package qlm serves Soraco Quick License Manager's HTTP methods, so that
// programs built for a QLM license server activate against licgate unchanged.
//
// [Handler] answers
//
//   - RequestAuthorizationCodeForActivationHttp: a 6-digit code by email or SMS;
//   - ActivateKeyByAuthorizationCodeHttp: activation with that code;
//   - ValidateLicenseHttp: activation by activation key, and re-validation
//     with a computer key (is_pckey);
//   - ReleaseLicenseHttp: freeing a seat, off unless [WithRelease] is given;
//   - PingHttp.
//
// # Wire rules
//
// Arguments are read from the query string and a form body together, the
// query winning, with names matched without regard to case;
// is_minorverson is accepted for is_minorversion. Every answer is 200 with
// text/xml; charset=utf-8 and a <QuickLicenseManager> fragment; failures are
// <error> elements, with <status> carrying QLM's ELicenseStatus bits where
// they apply. Activation answers carry the ValidateLicenseHttp element set
// and the activation token in an added <activationToken> element.
//
// The handler holds no rules: it translates to and from [license.Service].
package qlm
