package aws

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go/middleware"
	smithytime "github.com/aws/smithy-go/time"
)

// leanInstanceInfo and leanPatchStates are per-call options for the
// inventory's two SSM lookups: a successful answer is read by a decoder of
// its own that keeps only the members applyInfo and joinSSM read, stepping
// over the rest; error answers are the SDK's (see leanDecoder). The SDK's
// generic awsJson decoder builds every member of every entry and was the
// largest cost of those 408 calls per 10,000 instances after signing.
func leanInstanceInfo(o *ssm.Options) {
	o.APIOptions = append(o.APIOptions, leanDecoder("ssm DescribeInstanceInformation", func(b []byte, _ *middleware.Metadata) (any, error) {
		return decodeInstanceInformation(b)
	}))
}

func leanPatchStates(o *ssm.Options) {
	o.APIOptions = append(o.APIOptions, leanDecoder("ssm DescribeInstancePatchStates", func(b []byte, _ *middleware.Metadata) (any, error) {
		return decodePatchStates(b)
	}))
}

// decodeInstanceInformation reads a DescribeInstanceInformation answer:
// each entry's InstanceId, PingStatus, AgentVersion, PlatformName,
// PlatformVersion and ComputerName, and the NextToken.
func decodeInstanceInformation(body []byte) (*ssm.DescribeInstanceInformationOutput, error) {
	out := &ssm.DescribeInstanceInformationOutput{}
	s := jsonScanner{b: body}
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "NextToken":
			return optString(&s, &out.NextToken)
		case "InstanceInformationList":
			if n, err := s.null(); n || err != nil {
				return err
			}
			return s.array(func() error {
				var i ssmtypes.InstanceInformation
				err := s.object(func(key []byte) error {
					switch string(key) {
					case "InstanceId":
						return optString(&s, &i.InstanceId)
					case "PingStatus":
						v, err := s.str()
						i.PingStatus = ssmtypes.PingStatus(v)
						return err
					case "AgentVersion":
						return optString(&s, &i.AgentVersion)
					case "PlatformName":
						return optString(&s, &i.PlatformName)
					case "PlatformVersion":
						return optString(&s, &i.PlatformVersion)
					case "ComputerName":
						return optString(&s, &i.ComputerName)
					}
					return s.skip()
				})
				out.InstanceInformationList = append(out.InstanceInformationList, i)
				return err
			})
		}
		return s.skip()
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, fmt.Errorf("decode DescribeInstanceInformation response: %w", err)
	}
	return out, nil
}

// decodePatchStates reads a DescribeInstancePatchStates answer: every
// member of each InstancePatchState (the inventory reads a few, the patch
// verification others), and the NextToken.
func decodePatchStates(body []byte) (*ssm.DescribeInstancePatchStatesOutput, error) {
	out := &ssm.DescribeInstancePatchStatesOutput{}
	s := jsonScanner{b: body}
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "NextToken":
			return optString(&s, &out.NextToken)
		case "InstancePatchStates":
			if n, err := s.null(); n || err != nil {
				return err
			}
			return s.array(func() error {
				var st ssmtypes.InstancePatchState
				err := s.object(func(key []byte) error { return patchStateMember(&s, key, &st) })
				out.InstancePatchStates = append(out.InstancePatchStates, st)
				return err
			})
		}
		return s.skip()
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, fmt.Errorf("decode DescribeInstancePatchStates response: %w", err)
	}
	return out, nil
}

// patchStateMember reads member key of an InstancePatchState into st.
func patchStateMember(s *jsonScanner, key []byte, st *ssmtypes.InstancePatchState) error {
	switch string(key) {
	case "BaselineId":
		return optString(s, &st.BaselineId)
	case "InstanceId":
		return optString(s, &st.InstanceId)
	case "PatchGroup":
		return optString(s, &st.PatchGroup)
	case "InstallOverrideList":
		return optString(s, &st.InstallOverrideList)
	case "OwnerInformation":
		return optString(s, &st.OwnerInformation)
	case "SnapshotId":
		return optString(s, &st.SnapshotId)
	case "Operation":
		v, err := s.str()
		st.Operation = ssmtypes.PatchOperationType(v)
		return err
	case "RebootOption":
		v, err := s.str()
		st.RebootOption = ssmtypes.RebootOption(v)
		return err
	case "OperationStartTime":
		return optTime(s, &st.OperationStartTime)
	case "OperationEndTime":
		return optTime(s, &st.OperationEndTime)
	case "LastNoRebootInstallOperationTime":
		return optTime(s, &st.LastNoRebootInstallOperationTime)
	case "FailedCount":
		return countMember(s, &st.FailedCount)
	case "InstalledCount":
		return countMember(s, &st.InstalledCount)
	case "InstalledOtherCount":
		return countMember(s, &st.InstalledOtherCount)
	case "MissingCount":
		return countMember(s, &st.MissingCount)
	case "NotApplicableCount":
		return countMember(s, &st.NotApplicableCount)
	case "AvailableSecurityUpdateCount":
		return optCount(s, &st.AvailableSecurityUpdateCount)
	case "CriticalNonCompliantCount":
		return optCount(s, &st.CriticalNonCompliantCount)
	case "InstalledPendingRebootCount":
		return optCount(s, &st.InstalledPendingRebootCount)
	case "InstalledRejectedCount":
		return optCount(s, &st.InstalledRejectedCount)
	case "OtherNonCompliantCount":
		return optCount(s, &st.OtherNonCompliantCount)
	case "SecurityNonCompliantCount":
		return optCount(s, &st.SecurityNonCompliantCount)
	case "UnreportedNotApplicableCount":
		return optCount(s, &st.UnreportedNotApplicableCount)
	}
	return s.skip()
}

// countMember reads an integer member; null leaves it 0.
func countMember(s *jsonScanner, p *int32) error {
	f, err := s.number()
	*p = int32(f)
	return err
}

// optCount reads an optional integer member; null leaves it nil.
func optCount(s *jsonScanner, p **int32) error {
	if n, err := s.null(); n || err != nil {
		return err
	}
	var v int32
	err := countMember(s, &v)
	*p = &v
	return err
}

// optString sets *p to a string member, leaving it nil for null.
func optString(s *jsonScanner, p **string) error {
	if n, err := s.null(); n || err != nil {
		return err
	}
	v, err := s.str()
	*p = aws.String(v)
	return err
}

// optTime sets *p to an epoch-seconds timestamp member (awsJson's
// format), as the SDK reads it; nil for null.
func optTime(s *jsonScanner, p **time.Time) error {
	if n, err := s.null(); n || err != nil {
		return err
	}
	f, err := s.number()
	t := smithytime.ParseEpochSeconds(f)
	*p = &t
	return err
}
