// Command licgate is the bundled license server and its admin CLI.
//
//	licgate [serve] [flags]        serve QLM, EMS, JWKS, the status endpoint and the demo gate
//	licgate product add|list …     create or list products
//	licgate license add|list …     create or list licenses
//	licgate license suspend …      suspend, resume or revoke a license
//	licgate activation list …      list activations
//	licgate activation revoke …    revoke an activation
//
// serve binds its address first, then opens the store, creating the
// database (SQLite in -data, or the file or PostgreSQL database of -db),
// the signing key and the secret on its first run, every file 0600 and
// every directory it makes 0700. The admin commands use what serve
// created and never create anything: pointed at a -data or -db that holds
// no licgate database they say so and how to make one. They print JSON;
// a license prints its ID (an identifier) beside its two credentials, the
// activation key (key) and the EMS product key (productKey).
//
// Authorization codes go by email with -smtp and by SMS with -sms-url.
// Without -smtp they are written to the log in demo mode (-demo, the
// default) or with -notify-log, and otherwise not at all: a server with no
// way to send codes says so at start and refuses code requests.
//
// Every flag can also be set by an environment variable named LICGATE_ and
// the flag in upper case with dashes as underscores (-mail-from is
// LICGATE_MAIL_FROM); a flag on the command line wins.
package main
