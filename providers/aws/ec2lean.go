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

// leanInstances is a per-call option for DescribeInstances: a successful
// page is read by decodeInstancesPage into an output holding only the
// instance ID, the platform, the Name tag and the next token (all pageHosts
// reads); an error answer still goes through the SDK's own deserializer, so
// its error codes, throttling and retries are unchanged.
func leanInstances(o *ec2.Options) {
	o.APIOptions = append(o.APIOptions, leanDecoder("ec2 DescribeInstances", func(body []byte, md *middleware.Metadata) (any, error) {
		page, err := decodeInstancesPage(body)
		if err != nil {
			return nil, err
		}
		// The page rides in the result's metadata: an SDK Instance is
		// about a kilobyte, and pageHosts needs three strings of it.
		md.Set(leanPageKey{}, page)
		return pageOutput(page), nil
	}))
}

// pageOutput is the SDK output of a lean page: its next token, which the
// paginator reads.
func pageOutput(page instancesPage) *ec2.DescribeInstancesOutput {
	out := &ec2.DescribeInstancesOutput{}
	if page.NextToken != "" {
		out.NextToken = aws.String(page.NextToken)
	}
	return out
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
	return streamDecoderFor(op, func(md *middleware.Metadata) streamDecoder { return &wholeBody{decode: decode, md: md} })
}

// streamDecoderFor is leanDecoder for a decoder that reads an answer while
// it arrives: each attempt of the call gets a decoder of its own.
func streamDecoderFor(op string, decoder func(md *middleware.Metadata) streamDecoder) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		sdk, ok := stack.Deserialize.Get(operationDeserializer)
		if !ok {
			return fmt.Errorf("%s: the SDK has no %s to replace", op, operationDeserializer)
		}
		_, err := stack.Deserialize.Swap(operationDeserializer, &leanDeserializer{sdk: sdk, decoder: decoder})
		return err
	}
}

// A streamDecoder reads a successful answer as its bytes arrive: feed gets
// every byte read so far (a prefix that only grows), with final once the
// body has ended; result is the operation's output after the final feed.
// It keeps copies of what it needs, never the bytes.
type streamDecoder interface {
	feed(b []byte, final bool) error
	result() any
}

// wholeBody decodes an answer once all of it is read.
type wholeBody struct {
	decode func(body []byte, md *middleware.Metadata) (any, error)
	md     *middleware.Metadata
	out    any
}

func (w *wholeBody) feed(b []byte, final bool) (err error) {
	if final {
		w.out, err = w.decode(b, w.md)
	}
	return err
}

func (w *wholeBody) result() any { return w.out }

// operationDeserializer is the ID the SDK gives each operation's deserializer.
const operationDeserializer = "OperationDeserializer"

type leanDeserializer struct {
	sdk     middleware.DeserializeMiddleware
	decoder func(md *middleware.Metadata) streamDecoder
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
	dec := m.decoder(&md)
	if err := readStream(resp.Body, resp.ContentLength, dec); err != nil {
		return out, md, &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", err)}
	}
	out.Result = dec.result()
	return out, md, nil
}

// maxPresize bounds the buffer a Content-Length may claim up front.
const maxPresize = 16 << 20

// bodies are the buffers answers are read into, reused from call to call:
// a decoder copies what it keeps (see streamDecoder), so a buffer is free
// again once its answer is decoded, and an inventory's ~10 MB of answers
// do not become garbage for the GC to collect.
var bodies sync.Pool

// readStream reads an answer into one buffer, sized by its Content-Length
// when it has one (a reused one when bodies holds one large enough)
// instead of growing it by doubling, and hands dec every byte read so far
// after each read, so dec can act on the start of a long answer while the
// rest is on its way. A body that ends early (fewer bytes than its
// Content-Length) is handed on as it is, for dec to find it cut short.
func readStream(r io.Reader, contentLength int64, dec streamDecoder) error {
	size := int64(minBody)
	if contentLength > 0 && contentLength <= maxPresize {
		size = contentLength + 1 // one spare byte: the read that finds EOF needs room
	}
	pool, _ := bodies.Get().(*[]byte)
	if pool == nil || int64(cap(*pool)) < size {
		// A smaller buffer is dropped: the pool keeps to the sizes
		// answers need.
		pool = new([]byte)
		*pool = make([]byte, size)
	}
	defer bodies.Put(pool)
	b := (*pool)[:cap(*pool)]
	n := 0
	for {
		if n == len(b) {
			// Longer than it said, or no length: grow, keeping what dec
			// has seen (a decoder may hold names in the old bytes, which
			// stay as they were).
			b = append(b[:n:n], make([]byte, n)...)
			*pool = b
		}
		k, err := r.Read(b[n:])
		n += k
		switch {
		case err == io.EOF, err == io.ErrUnexpectedEOF:
			return dec.feed(b[:n], true)
		case err != nil:
			return err
		case k > 0:
			if err := dec.feed(b[:n], false); err != nil {
				return err
			}
		}
	}
}

// minBody is the buffer an answer without a Content-Length starts with.
const minBody = 64 << 10
