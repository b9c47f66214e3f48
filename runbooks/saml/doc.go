// Package saml finds identity-provider certificates that are about to expire
// and writes the Method of Procedure for rotating them.
//
// An expired SAML signing certificate is a complete authentication outage, so
// this package is deliberately strict: metadata is treated as hostile input
// (size, depth and count limits, no DTDs), and every failure names the source
// and entity it came from so the on-call engineer knows where to look.
package saml
