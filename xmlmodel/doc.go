// Package xmlmodel holds the encoding/xml types of the two wire formats
// licgate speaks: Soraco QLM's <QuickLicenseManager> fragments and the
// Sentinel EMS v90 web-service documents (<activation>, <productKey>,
// <EMSResponse>, <authenticationDetail>).
//
// The types are plain data: they carry no HTTP and no business rules.
// Where real clients parse responses naively, the writers here produce the
// exact bytes those clients expect; see [EscapeText].
package xmlmodel
