package checkpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// SealFormat versions a seal.
const SealFormat = "patchgate.seal/v1"

// Seal is a signature over one document (a report's manifest), made with the
// checkpoint key, so files that are not audit entries are bound to the key
// too: change a file and its manifest hash, and the seal no longer verifies.
type Seal struct {
	Format      string `json:"format"`
	SHA256      string `json:"sha256"` // of the sealed document
	KeyID       string `json:"key_id"`
	Fingerprint string `json:"key_fingerprint"`
	Alg         string `json:"alg"`
	Sig         []byte `json:"sig"`
}

// signedText is what a seal's signature covers.
func (s Seal) signedText() []byte {
	return []byte(SealFormat + "\nsha256=" + s.SHA256 + "\nkey_id=" + oneLine(s.KeyID) +
		"\nkey_fingerprint=" + s.Fingerprint + "\nalg=" + s.Alg + "\n")
}

// SealDocument signs doc with signer and returns the encoded seal.
func SealDocument(ctx context.Context, signer Signer, doc []byte) ([]byte, error) {
	fp, err := Fingerprint(signer.Public())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(doc)
	s := Seal{Format: SealFormat, SHA256: hex.EncodeToString(sum[:]), KeyID: signer.KeyID(), Fingerprint: fp, Alg: signer.Algorithm()}
	if s.Sig, err = signer.Sign(ctx, s.signedText()); err != nil {
		return nil, fmt.Errorf("seal document with key %s: %w", s.KeyID, err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode seal: %w", err)
	}
	return append(b, '\n'), nil
}

// VerifySeal checks that seal is a valid signature over doc by a key in k.
func (k *Keyring) VerifySeal(seal, doc []byte) error {
	var s Seal
	if err := json.Unmarshal(seal, &s); err != nil || s.Format != SealFormat {
		return fmt.Errorf("decode seal: not a %s document (%v)", SealFormat, err)
	}
	sum := sha256.Sum256(doc)
	if got := hex.EncodeToString(sum[:]); got != s.SHA256 {
		return fmt.Errorf("seal covers sha256 %s, the document has %s: %w", s.SHA256, got, ErrBadSignature)
	}
	if err := k.verify(s.KeyID, s.Fingerprint, s.Alg, s.signedText(), s.Sig); err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	return nil
}
