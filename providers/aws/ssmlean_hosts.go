package aws

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go/middleware"
	smithytime "github.com/aws/smithy-go/time"
)

// The inventory's SSM answers are read into small records of the batch's
// hosts rather than into SDK structs: an SDK InstanceInformation or
// InstancePatchState holds every member behind its own pointer (about
// twenty allocations per instance), and the inventory reads five of them.
// Patch verification, which reads other members, keeps the SDK-shaped
// decoders of ssmlean.go.

// agentInfo is what applyInfo reads of an InstanceInformation entry.
type agentInfo struct {
	Ping                                                  ssmtypes.PingStatus
	AgentVersion, PlatformName, PlatformVersion, Computer string
}

// infoRecord is one InstanceInformation entry of a batch's host.
type infoRecord struct {
	host int32 // index into the batch
	info agentInfo
}

// stateRecord is what the inventory reads of a batch host's patch state.
type stateRecord struct {
	host    int32
	missing int32
	last    time.Time // lastInstall
}

// batchIndex finds a batch's host by instance ID; answers naming an ID
// outside the batch are dropped.
type batchIndex map[string]int32

func (b batchIndex) find(id []byte) (int32, bool) {
	i, ok := b[string(id)]
	return i, ok
}

// infoRecords and stateRecords are per-call options: a successful answer
// is read into *into (replaced on each attempt, so a retried call never
// leaves half an answer); error answers are the SDK's (see leanDecoder).
// The SDK output they return carries only the NextToken its paginator
// reads.
func infoRecords(b batchIndex, into *[]infoRecord) func(*ssm.Options) {
	return func(o *ssm.Options) {
		o.APIOptions = append(o.APIOptions, leanDecoder("ssm DescribeInstanceInformation", func(body []byte, _ *middleware.Metadata) (any, error) {
			recs, next, err := decodeInfoRecords(body, b)
			if err != nil {
				return nil, err
			}
			*into = recs
			return &ssm.DescribeInstanceInformationOutput{NextToken: next}, nil
		}))
	}
}

func stateRecords(b batchIndex, into *[]stateRecord) func(*ssm.Options) {
	return func(o *ssm.Options) {
		o.APIOptions = append(o.APIOptions, leanDecoder("ssm DescribeInstancePatchStates", func(body []byte, _ *middleware.Metadata) (any, error) {
			recs, next, err := decodeStateRecords(body, b)
			if err != nil {
				return nil, err
			}
			*into = recs
			return &ssm.DescribeInstancePatchStatesOutput{NextToken: next}, nil
		}))
	}
}

// decodeInfoRecords reads a DescribeInstanceInformation answer into
// records of b's hosts. Values repeated from the previous entry (agent
// version, platform) share its string.
func decodeInfoRecords(body []byte, b batchIndex) ([]infoRecord, *string, error) {
	var (
		out  []infoRecord
		next *string
		prev agentInfo
	)
	s := jsonScanner{b: body}
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "NextToken":
			return optString(&s, &next)
		case "InstanceInformationList":
			if n, err := s.null(); n || err != nil {
				return err
			}
			return s.array(func() error {
				var (
					r     infoRecord
					found bool
				)
				err := s.object(func(key []byte) (err error) {
					switch string(key) {
					case "InstanceId":
						var id []byte
						if id, err = s.strBytes(); err == nil {
							r.host, found = b.find(id)
						}
					case "PingStatus":
						r.info.Ping, err = pingStatus(&s)
					case "AgentVersion":
						r.info.AgentVersion, err = s.strLike(prev.AgentVersion)
					case "PlatformName":
						r.info.PlatformName, err = s.strLike(prev.PlatformName)
					case "PlatformVersion":
						r.info.PlatformVersion, err = s.strLike(prev.PlatformVersion)
					case "ComputerName":
						r.info.Computer, err = s.str()
					default:
						err = s.skip()
					}
					return err
				})
				if found {
					if out == nil {
						out = make([]infoRecord, 0, len(b))
					}
					out = append(out, r)
					prev = r.info
				}
				return err
			})
		}
		return s.skip()
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("decode DescribeInstanceInformation response: %w", err)
	}
	return out, next, nil
}

// decodeStateRecords reads a DescribeInstancePatchStates answer into
// records of b's hosts: the missing count and when patches were last
// installed (lastInstall).
func decodeStateRecords(body []byte, b batchIndex) ([]stateRecord, *string, error) {
	var (
		out  []stateRecord
		next *string
	)
	s := jsonScanner{b: body}
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "NextToken":
			return optString(&s, &next)
		case "InstancePatchStates":
			if n, err := s.null(); n || err != nil {
				return err
			}
			return s.array(func() error {
				var (
					r                   stateRecord
					found, install      bool
					end, noReboot       time.Time
					hasEnd, hasNoReboot bool
				)
				err := s.object(func(key []byte) (err error) {
					switch string(key) {
					case "InstanceId":
						var id []byte
						if id, err = s.strBytes(); err == nil {
							r.host, found = b.find(id)
						}
					case "Operation":
						var op []byte
						op, err = s.strBytes()
						install = string(op) == string(ssmtypes.PatchOperationTypeInstall)
					case "MissingCount":
						err = countMember(&s, &r.missing)
					case "OperationEndTime":
						hasEnd, err = optEpoch(&s, &end)
					case "LastNoRebootInstallOperationTime":
						hasNoReboot, err = optEpoch(&s, &noReboot)
					default:
						err = s.skip()
					}
					return err
				})
				switch {
				case install && hasEnd:
					r.last = end
				case hasNoReboot:
					r.last = noReboot
				}
				if found {
					if out == nil {
						out = make([]stateRecord, 0, len(b))
					}
					out = append(out, r)
				}
				return err
			})
		}
		return s.skip()
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("decode DescribeInstancePatchStates response: %w", err)
	}
	return out, next, nil
}

// pingStatus reads a PingStatus member; SSM's three values are the SDK's
// constants, without a new string each.
func pingStatus(s *jsonScanner) (ssmtypes.PingStatus, error) {
	raw, err := s.strBytes()
	if err != nil {
		return "", err
	}
	for _, v := range []ssmtypes.PingStatus{ssmtypes.PingStatusOnline, ssmtypes.PingStatusConnectionLost, ssmtypes.PingStatusInactive} {
		if string(raw) == string(v) {
			return v, nil
		}
	}
	return ssmtypes.PingStatus(raw), nil
}

// optEpoch reads an epoch-seconds timestamp as the SDK does; null is
// absent.
func optEpoch(s *jsonScanner, t *time.Time) (bool, error) {
	if n, err := s.null(); n || err != nil {
		return false, err
	}
	f, err := s.number()
	*t = smithytime.ParseEpochSeconds(f)
	return true, err
}
