package config

import "net/url"

// checkMember validates a key that names one entry of another section (an
// environment of the pipeline, a tenant) in a list that may name each entry
// once: empty, unknown and repeated values are reported at field. seen
// collects the values across the list.
func (d *decoder) checkMember(field, value string, known, seen map[string]bool, of string) {
	switch {
	case value == "":
		d.at(field, "is required")
	case !known[value]:
		d.at(field, "%q is not %s", value, of)
	case seen[value]:
		d.at(field, "%q is listed twice", value)
	}
	seen[value] = true
}

// checkSecureURL validates a required URL that carries credentials: it
// must be https except on loopback (a local test peer). example shows the
// expected form when the URL is missing.
func (d *decoder) checkSecureURL(field, raw, example string) {
	if raw == "" {
		d.at(field, "is required (e.g. %s)", example)
		return
	}
	d.checkURL(field, raw)
	if u, err := url.Parse(raw); err == nil && u.Scheme == "http" && !loopback(u.Hostname()) {
		d.at(field, "must be https: the credentials would cross the network in clear text (http is for localhost only)")
	}
}
