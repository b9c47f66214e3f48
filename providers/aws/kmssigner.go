package aws

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/patchgate/patchgate/state/checkpoint"
)

// KMSSigner signs checkpoints with an AWS KMS asymmetric key (key spec
// ECC_NIST_P256, usage SIGN_VERIFY) with ECDSA_SHA_256: the private key never
// leaves KMS, and CloudTrail logs every use of it.
type KMSSigner struct {
	id     string
	key    string
	pub    *ecdsa.PublicKey
	client *kms.Client // concrete, so the IAM policy test sees every call
}

var _ checkpoint.Signer = (*KMSSigner)(nil)

// NewKMSSigner reads the key's public half (GetPublicKey) so checkpoints
// name its fingerprint; id labels the key (empty: keyID as given).
// endpoint (empty: AWS's) points it at an emulator in tests.
func NewKMSSigner(ctx context.Context, cfg aws.Config, endpoint, keyID, id string) (*KMSSigner, error) {
	c := kms.NewFromConfig(cfg, func(o *kms.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	out, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return nil, fmt.Errorf("kms GetPublicKey %s: %w", keyID, err)
	}
	if out.KeySpec != "" && out.KeySpec != kmstypes.KeySpecEccNistP256 {
		return nil, fmt.Errorf("kms key %s is %s, want ECC_NIST_P256 (ECDSA_SHA_256)", keyID, out.KeySpec)
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("kms key %s: parse its public key: %w", keyID, err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("kms key %s: public key is a %T, want ECDSA P-256", keyID, pub)
	}
	if id == "" {
		id = keyID
	}
	return &KMSSigner{id: id, key: keyID, pub: ec, client: c}, nil
}

func (s *KMSSigner) KeyID() string            { return s.id }
func (s *KMSSigner) Public() crypto.PublicKey { return s.pub }
func (s *KMSSigner) Algorithm() string        { return checkpoint.AlgECDSAP256 }

// Sign asks KMS for an ECDSA_SHA_256 signature over msg (KMS hashes RAW
// messages up to 4096 bytes; checkpoints are a few hundred).
func (s *KMSSigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	out, err := s.client.Sign(ctx, &kms.SignInput{
		KeyId: aws.String(s.key), Message: msg, MessageType: kmstypes.MessageTypeRaw,
		SigningAlgorithm: kmstypes.SigningAlgorithmSpecEcdsaSha256,
	})
	if err != nil {
		return nil, fmt.Errorf("kms Sign with %s: %w", s.key, err)
	}
	return out.Signature, nil
}
