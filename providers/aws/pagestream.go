package aws

import (
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go/middleware"

	"github.com/patchgate/patchgate/runbooks"
)

// pageStream hands the instances of one DescribeInstances page to the
// region's SSM calls in batches of 50 while the page is still arriving. A
// page of 1,000 instances is megabytes of XML; reading all of it before
// the first SSM call would put its transfer and decoding on the
// inventory's critical path, between the EC2 page and the first SSM round.
//
// The SDK may retry the call after part of a page was handed on (a
// connection reset mid-body is retryable): an instance already handed on
// is not handed on again, and one the page that finally succeeded no longer
// lists is dropped once its batch is joined (see dropped).
type pageStream struct {
	account, region, env string
	submit               func([]runbooks.Host) // starts a batch's SSM calls

	batch    []runbooks.Host
	batches  [][]runbooks.Host
	sent     map[string]struct{} // IDs handed on, across attempts
	attempts int
	last     *pageDecoder // the latest attempt's decoder
}

// option reads the page through the stream (see leanInstances for what is
// kept of it).
func (s *pageStream) option(o *ec2.Options) {
	o.APIOptions = append(o.APIOptions, streamDecoderFor("ec2 DescribeInstances", func(md *middleware.Metadata) streamDecoder {
		s.attempts++
		s.last = &pageDecoder{onInstance: s.add}
		return pageResult{s.last}
	}))
}

// pageResult is a streamed page's SDK output: its next token.
type pageResult struct{ d *pageDecoder }

func (r pageResult) feed(b []byte, final bool) error { return r.d.feed(b, final) }
func (r pageResult) result() any                     { return pageOutput(r.d.page) }

func (s *pageStream) add(in pageInstance) {
	if s.sent == nil {
		s.sent = make(map[string]struct{}, ec2PageSize)
	}
	if _, dup := s.sent[in.ID]; dup {
		return
	}
	s.sent[in.ID] = struct{}{}
	if s.batch == nil {
		s.batch = make([]runbooks.Host, 0, ssmBatch)
	}
	s.batch = append(s.batch, pageHost(in, s.account, s.region, s.env))
	if len(s.batch) == ssmBatch {
		s.flush()
	}
}

func (s *pageStream) flush() {
	if len(s.batch) == 0 {
		return
	}
	s.submit(s.batch)
	s.batches = append(s.batches, s.batch)
	s.batch = nil
}

// done hands on the last partial batch once the page has arrived whole and
// returns every batch handed on.
func (s *pageStream) done() [][]runbooks.Host {
	s.flush()
	return s.batches
}

// dropped is the IDs handed on in an attempt that failed which the page
// that succeeded does not list (nil when the first attempt succeeded).
func (s *pageStream) dropped() map[string]struct{} {
	if s.attempts < 2 || s.last == nil {
		return nil
	}
	listed := make(map[string]struct{}, len(s.last.page.Instances))
	for _, in := range s.last.page.Instances {
		listed[in.ID] = struct{}{}
	}
	var out map[string]struct{}
	for id := range s.sent {
		if _, ok := listed[id]; !ok {
			if out == nil {
				out = map[string]struct{}{}
			}
			out[id] = struct{}{}
		}
	}
	return out
}
