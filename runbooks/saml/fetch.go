package saml

import (
	"context"
	"fmt"
	"net/http"
	"os"
)

// FetchMetadata downloads metadata from an IdP's metadata URL. The timeout
// and size limit apply even if the caller's client has none: a slow or
// enormous response must not stall the daily SAML check.
func FetchMetadata(ctx context.Context, client *http.Client, url string, limits Limits) ([]Certificate, error) {
	limits = limits.withDefaults()
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, limits.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, &MetadataError{Source: url, Err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := client.Do(req)
	if err != nil {
		return nil, &MetadataError{Source: url, Err: fmt.Errorf("fetch: %w", err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &MetadataError{Source: url, Err: fmt.Errorf("fetch: HTTP %s", resp.Status)}
	}
	if resp.ContentLength > limits.MaxBytes {
		return nil, &MetadataError{Source: url, Err: fmt.Errorf("document exceeds the %d-byte limit (Content-Length %d)", limits.MaxBytes, resp.ContentLength)}
	}
	return ParseMetadata(url, resp.Body, limits)
}

// ReadMetadataFile parses a metadata file exported from an IdP console.
func ReadMetadataFile(path string, limits Limits) ([]Certificate, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &MetadataError{Source: path, Err: err}
	}
	defer f.Close()
	return ParseMetadata(path, f, limits)
}
