package aws

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// leanInstances is a per-call option for the inventory's DescribeInstances:
// a successful page is read by decodeInstancesPage into an output holding
// only the instance ID, the platform, the Name tag and the next token (all
// pageHosts reads); an error answer still goes through the SDK's own
// deserializer, so its error codes, throttling and retries are unchanged.
func leanInstances(o *ec2.Options) {
	o.APIOptions = append(o.APIOptions, leanDecoder("ec2 DescribeInstances", func(body []byte, md *middleware.Metadata) (any, error) {
		page, err := decodeInstancesPage(body)
		if err != nil {
			return nil, err
		}
		// The page rides in the result's metadata: an SDK Instance is
		// about a kilobyte, and pageHosts needs three strings of it.
		md.Set(leanPageKey{}, page)
		out := &ec2.DescribeInstancesOutput{}
		if page.NextToken != "" {
			out.NextToken = aws.String(page.NextToken)
		}
		return out, nil
	}))
}

// leanPageKey keys the lean page in a DescribeInstancesOutput's
// ResultMetadata.
type leanPageKey struct{}

// leanPage is the page the lean decoder read into out, if it did.
func leanPage(out *ec2.DescribeInstancesOutput) (instancesPage, bool) {
	page, ok := out.ResultMetadata.Get(leanPageKey{}).(instancesPage)
	return page, ok
}

// leanDecoder swaps an operation's deserializer for decode on successful
// answers, inside the SDK's own middleware stack, so signing, retries, the
// rate limiter and the paginator stay the SDK's. Transport failures and
// error answers go to the SDK's deserializer, so error codes and retry
// decisions do not change. The body decode reads is reused once it
// returns: decode keeps copies of what it needs, never the bytes.
func leanDecoder(op string, decode func(body []byte, md *middleware.Metadata) (any, error)) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		sdk, ok := stack.Deserialize.Get(operationDeserializer)
		if !ok {
			return fmt.Errorf("%s: the SDK has no %s to replace", op, operationDeserializer)
		}
		_, err := stack.Deserialize.Swap(operationDeserializer, &leanDeserializer{sdk: sdk, decode: decode})
		return err
	}
}

// operationDeserializer is the ID the SDK gives each operation's deserializer.
const operationDeserializer = "OperationDeserializer"

type leanDeserializer struct {
	sdk    middleware.DeserializeMiddleware
	decode func(body []byte, md *middleware.Metadata) (any, error)
}

func (*leanDeserializer) ID() string { return operationDeserializer }

func (m *leanDeserializer) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if err != nil || !ok || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		// Transport failures and error answers: the SDK's deserializer,
		// handed what the transport already returned.
		return m.sdk.HandleDeserialize(ctx, in, middleware.DeserializeHandlerFunc(
			func(context.Context, middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
				return out, md, err
			}))
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err == nil {
		var result any
		result, err = m.decode(body.b, &md)
		body.free()
		if err == nil {
			out.Result = result
			return out, md, nil
		}
	}
	return out, md, &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", err)}
}

// maxPresize bounds the buffer a Content-Length may claim up front.
const maxPresize = 16 << 20

// bodies are the buffers answers are read into, reused from call to call:
// a decoder copies what it keeps (see leanDecoder), so a buffer is free
// again once its answer is decoded, and an inventory's ~10 MB of answers
// do not become garbage for the GC to collect.
var bodies sync.Pool

// body is one answer's bytes, in a buffer of bodies when pooled.
type body struct {
	b    []byte
	pool *[]byte
}

// free returns the buffer to bodies; b must not be used after.
func (b body) free() {
	if b.pool != nil {
		bodies.Put(b.pool)
	}
}

// readBody reads a whole answer into one buffer sized by its
// Content-Length when it has one (a reused one when bodies holds one large
// enough), instead of growing it by doubling.
func readBody(resp *smithyhttp.Response) (body, error) {
	n := resp.ContentLength
	if n <= 0 || n > maxPresize {
		b, err := io.ReadAll(resp.Body)
		return body{b: b}, err
	}
	pool, _ := bodies.Get().(*[]byte)
	if pool == nil || int64(cap(*pool)) < n+1 {
		// A smaller buffer is dropped: the pool keeps to the sizes
		// answers need.
		pool = new([]byte)
		*pool = make([]byte, n+1)
	}
	b := (*pool)[:n+1] // one spare byte: a body longer than it said still reads to EOF
	got, err := io.ReadFull(resp.Body, b)
	switch err {
	case io.ErrUnexpectedEOF:
		return body{b: b[:got], pool: pool}, nil
	case nil:
		// Longer than it said: read on, into a buffer of its own.
		rest, err := io.ReadAll(resp.Body)
		whole := append(append(make([]byte, 0, len(b)+len(rest)), b...), rest...)
		bodies.Put(pool)
		return body{b: whole}, err
	}
	bodies.Put(pool)
	return body{}, err
}
