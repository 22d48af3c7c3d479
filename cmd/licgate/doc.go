// Command licgate is the bundled license server and its admin CLI.
//
//	licgate [serve] [flags]        serve QLM, EMS, JWKS and the demo gate
//	licgate product add …          create a product
//	licgate license add …          create a license
//	licgate license suspend …      suspend, resume or revoke a license
//	licgate activation list …      list activations
//	licgate activation revoke …    revoke an activation
//
// Every flag can also be set by an environment variable named LICGATE_ and
// the flag in upper case with dashes as underscores (-mail-from is
// LICGATE_MAIL_FROM); a flag on the command line wins.
package main
