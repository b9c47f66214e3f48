package aws

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/patchgate/patchgate/runbooks"
)

// Tag keys put on everything the provider creates, so a resumed step finds
// its own earlier work and people find the cycle that made a resource.
const (
	tagKey    = "patchgate:tag"
	tagCycle  = "patchgate:cycle"
	tagStage  = "patchgate:stage"
	tagTenant = "patchgate:tenant"
)

func reqTags(req runbooks.OpRequest) [][2]string {
	return [][2]string{{tagKey, req.Tag}, {tagCycle, req.Cycle}, {tagStage, req.Stage}, {tagTenant, req.Tenant}}
}

func ec2Tags(req runbooks.OpRequest, name string) []ec2types.Tag {
	out := []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String(name)}}
	for _, t := range reqTags(req) {
		out = append(out, ec2types.Tag{Key: aws.String(t[0]), Value: aws.String(t[1])})
	}
	return out
}

func rdsTags(req runbooks.OpRequest) []rdstypes.Tag {
	var out []rdstypes.Tag
	for _, t := range reqTags(req) {
		out = append(out, rdstypes.Tag{Key: aws.String(t[0]), Value: aws.String(t[1])})
	}
	return out
}

// imageName is unique per tag and instance; AMI names allow letters,
// digits and ()[] ./-'@_ up to 128 characters.
func imageName(tag, instance string) string {
	n := "patchgate " + tag + " " + instance
	if len(n) > 128 {
		n = n[len(n)-128:]
	}
	return n
}

// snapshotID is unique per tag and database; RDS identifiers are letters,
// digits and single hyphens, starting with a letter, up to 255 characters.
func snapshotID(tag, db string) string {
	var b strings.Builder
	b.WriteString("patchgate-")
	dash := true
	for _, r := range tag + "-" + db {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if len(s) > 255 {
		s = strings.TrimRight(s[:255], "-")
	}
	return s
}

// database is one RDS instance or Aurora cluster a target lists.
type database struct {
	Region, ID string
	Cluster    bool
}

// parseDatabase reads "name", "cluster:name" or an RDS ARN
// (arn:aws:rds:region:account:db:name or …:cluster:name); a bare name is in
// the target's first region.
func parseDatabase(s, region string) database {
	if strings.HasPrefix(s, "arn:") {
		f := strings.SplitN(s, ":", 7)
		if len(f) == 7 {
			return database{Region: f[3], ID: f[6], Cluster: f[5] == "cluster"}
		}
	}
	if name, ok := strings.CutPrefix(s, "cluster:"); ok {
		return database{Region: region, ID: name, Cluster: true}
	}
	return database{Region: region, ID: s}
}
