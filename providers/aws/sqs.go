package aws

import (
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// SQS returns a client of the bot's own account and home region for the
// remediation intake queue. Its attempts may outlast the step budget's
// per-attempt timeout by longPoll, the wait of a ReceiveMessage long-poll,
// which holds the request open that long on purpose.
func (p *Provider) SQS(longPoll time.Duration) *sqs.Client {
	return sqs.NewFromConfig(p.base, func(o *sqs.Options) {
		o.BaseEndpoint = p.url("sqs")
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(p.budget.PerAttempt + longPoll)
	})
}
