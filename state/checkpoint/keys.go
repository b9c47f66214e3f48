package checkpoint

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Signer signs with a private key the store never sees: an Ed25519 key held
// by the process (from a file or the environment) or a cloud KMS key whose
// private half never leaves the KMS.
type Signer interface {
	// KeyID names the key in checkpoints (an operator's label or a KMS key ARN).
	KeyID() string
	// Public is the key that verifies the signatures.
	Public() crypto.PublicKey
	// Algorithm is AlgEd25519 or AlgECDSAP256.
	Algorithm() string
	// Sign signs msg.
	Sign(ctx context.Context, msg []byte) ([]byte, error)
}

// Fingerprint names a public key independently of any label: "SHA256:" and
// the hex SHA-256 of its PKIX (SubjectPublicKeyInfo) DER encoding, which is
// what `openssl pkey -pubin -outform DER | sha256sum` prints.
func Fingerprint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("fingerprint public key: %w", err)
	}
	s := sha256.Sum256(der)
	return "SHA256:" + hex.EncodeToString(s[:]), nil
}

// Ed25519Signer signs in process with an Ed25519 private key.
type Ed25519Signer struct {
	ID  string
	Key ed25519.PrivateKey
}

var _ Signer = (*Ed25519Signer)(nil)

// NewEd25519Signer reads a private key (see ParseEd25519PrivateKey) and
// labels it id; an empty id labels it with its fingerprint.
func NewEd25519Signer(id, keyText string) (*Ed25519Signer, error) {
	k, err := ParseEd25519PrivateKey(keyText)
	if err != nil {
		return nil, err
	}
	if id == "" {
		if id, err = Fingerprint(k.Public()); err != nil {
			return nil, err
		}
	}
	return &Ed25519Signer{ID: id, Key: k}, nil
}

func (s *Ed25519Signer) KeyID() string            { return s.ID }
func (s *Ed25519Signer) Public() crypto.PublicKey { return s.Key.Public() }
func (s *Ed25519Signer) Algorithm() string        { return AlgEd25519 }

func (s *Ed25519Signer) Sign(_ context.Context, msg []byte) ([]byte, error) {
	return ed25519.Sign(s.Key, msg), nil
}

// ParseEd25519PrivateKey accepts a PEM "PRIVATE KEY" (PKCS #8, as `openssl
// genpkey -algorithm ed25519` writes it) or the base64 of the 32-byte seed.
// Errors never include the key.
func ParseEd25519PrivateKey(text string) (ed25519.PrivateKey, error) {
	text = strings.TrimSpace(text)
	if blk, _ := pem.Decode([]byte(text)); blk != nil {
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse signing key: PEM block %q is not a PKCS #8 private key", blk.Type)
		}
		ek, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("parse signing key: a %T, want Ed25519", k)
		}
		return ek, nil
	}
	seed, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("parse signing key: neither a PEM PKCS #8 key nor the base64 of a 32-byte Ed25519 seed")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParsePublicKey reads a PEM "PUBLIC KEY" (PKIX), Ed25519 or ECDSA P-256.
func ParsePublicKey(pemText []byte) (crypto.PublicKey, error) {
	blk, _ := pem.Decode(pemText)
	if blk == nil {
		return nil, errors.New("parse public key: no PEM block")
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	switch pub.(type) {
	case ed25519.PublicKey, *ecdsa.PublicKey:
		return pub, nil
	}
	return nil, fmt.Errorf("parse public key: a %T, want Ed25519 or ECDSA", pub)
}

// EncodePublicKey writes pub as PEM "PUBLIC KEY".
func EncodePublicKey(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// Errors of signature checks: a bad signature is evidence of tampering, an
// unknown key means the check could not be made.
var (
	ErrBadSignature = errors.New("signature does not verify")
	ErrUnknownKey   = errors.New("no public key for this key ID or fingerprint")
)

// Keyring holds the public keys checkpoints may be signed with, old ones
// included, so checkpoints signed before a key rotation stay verifiable.
type Keyring struct {
	byID map[string]crypto.PublicKey
	byFP map[string]crypto.PublicKey
}

// Add puts pub in the ring under id (and always under its fingerprint).
func (k *Keyring) Add(id string, pub crypto.PublicKey) error {
	fp, err := Fingerprint(pub)
	if err != nil {
		return err
	}
	if k.byID == nil {
		k.byID, k.byFP = map[string]crypto.PublicKey{}, map[string]crypto.PublicKey{}
	}
	if id != "" {
		k.byID[id] = pub
	}
	k.byFP[fp] = pub
	return nil
}

// Len is how many distinct keys the ring holds.
func (k *Keyring) Len() int { return len(k.byFP) }

// verify checks sig over msg with the key named by id or fingerprint; the
// key found must have that fingerprint, so a label cannot point elsewhere.
func (k *Keyring) verify(id, fp, alg string, msg, sig []byte) error {
	pub, ok := k.byFP[fp]
	if !ok {
		if pub, ok = k.byID[id]; !ok {
			return fmt.Errorf("key %s (%s): %w", id, fp, ErrUnknownKey)
		}
		if got, _ := Fingerprint(pub); got != fp {
			return fmt.Errorf("key %s has fingerprint %s, the signature names %s: %w", id, got, fp, ErrBadSignature)
		}
	}
	return verifySig(pub, alg, msg, sig)
}

// verifySig checks one signature with one key.
func verifySig(pub crypto.PublicKey, alg string, msg, sig []byte) error {
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if alg == AlgEd25519 && ed25519.Verify(p, msg, sig) {
			return nil
		}
	case *ecdsa.PublicKey:
		d := sha256.Sum256(msg)
		if alg == AlgECDSAP256 && ecdsa.VerifyASN1(p, d[:], sig) {
			return nil
		}
	}
	return ErrBadSignature
}

// Verify checks a checkpoint's signature.
func (k *Keyring) Verify(c Checkpoint) error {
	if err := k.verify(c.KeyID, c.Fingerprint, c.Alg, c.SignedText(), c.Sig); err != nil {
		return fmt.Errorf("checkpoint %d of %s: %w", c.Number, c.Stream, err)
	}
	return nil
}
