package redisstore

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSFiles are the PEM files a TLS connection to Redis is built from, as an
// operator mounts them (a CA bundle from a ConfigMap, a client certificate
// from a Secret).
type TLSFiles struct {
	CAFile   string // CA bundle the server's certificate must chain to; empty: the system roots
	CertFile string // client certificate, for servers with tls-auth-clients; needs KeyFile
	KeyFile  string
	// ServerName is the name checked against the server's certificate;
	// empty: the host of the address dialled.
	ServerName string
	// InsecureSkipVerify accepts any server certificate. It exists for a
	// first connection test and is never a production setting.
	InsecureSkipVerify bool
}

// Config loads the files into a tls.Config (TLS 1.2 or later). Errors name
// the file that failed.
func (f TLSFiles) Config() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: f.ServerName, InsecureSkipVerify: f.InsecureSkipVerify}
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, fmt.Errorf("redis tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("redis tls ca_file %s: no PEM certificate in it", f.CAFile)
		}
		c.RootCAs = pool
	}
	switch {
	case f.CertFile != "" && f.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("redis tls cert_file %s / key_file %s: %w", f.CertFile, f.KeyFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	case f.CertFile != "" || f.KeyFile != "":
		return nil, errors.New("redis tls: cert_file and key_file go together")
	}
	return c, nil
}
