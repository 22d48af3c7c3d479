// Command licgate is the bundled license server and its admin CLI.
//
//	licgate [serve] [flags]        serve QLM, EMS, the JSON protocol (/v1/…, /offline), JWKS, the status endpoint, the admin API and the demo gate
//	licgate product add|list …     create or list products
//	licgate license add|list …     create or list licenses, floating ones too
//	licgate license update …       change a license's seats, expiry, features or lease TTL
//	licgate license suspend …      suspend, resume or revoke a license
//	licgate activation list …      list activations
//	licgate activation revoke …    revoke an activation
//	licgate audit list …           print the audit trail
//	licgate webhook add|list …     register, list or delete webhooks, list their deliveries
//	licgate token create|list …    make, list or revoke admin tokens of the admin API
//	licgate offline request …      write the request file of a computer with no network
//	licgate offline answer …       answer a request file with its license file
//	licgate keys                   print the key IDs of the signing keys, for programs to pin
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
// serve also mounts the admin API at /admin/v1/ (on a listener of its own
// with -admin-addr) and delivers webhook events. With -server and -token
// (or LICGATE_SERVER and LICGATE_TOKEN) the product, license, activation,
// audit and webhook commands work through a server's admin API instead of
// a local database, and print the same JSON. Admin tokens are made where
// the database is, by "licgate token create".
//
// serve also mounts licgate's JSON protocol for programs (license/rest):
// activation, leases of floating licenses with their heartbeats, and
// offline activation by API and by the /offline page, whose license files
// live -offline-ttl. Its janitor ends the leases that ran out once a
// minute, which only tidies: a seat is taken only after the license's
// run-out leases are ended. offline request needs neither server nor
// database; offline answer works on the local store or, with -server,
// through POST /v1/offline with no token (the key in the request is the
// credential).
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
