package aws

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// fleet fills fake with perAccount instances in each of accounts; every
// tenth is unknown to SSM. It returns the tenant environment covering them
// and the provider configuration that reaches them.
func fleet(fake *awstest.Server, accounts, perAccount int) (runbooks.Environment, Config) {
	return fleetAt(fake.URL, accounts, perAccount, func(in awstest.Instance) { fake.Add(in) })
}

// fleetAt is fleet for a fake at url whose instances add registers (nil:
// only the environment and configuration).
func fleetAt(url string, accounts, perAccount int, add func(awstest.Instance)) (runbooks.Environment, Config) {
	env := runbooks.Environment{Name: "production"}
	cfg := Config{
		Region: region, RoleName: "arn:aws:iam::{account}:role/patchgate", Credentials: staticCreds,
		Endpoints: map[string]string{"ec2": url, "ssm": url, "sts": url}, Log: slog.New(slog.DiscardHandler),
	}
	for a := range accounts {
		acct := fmt.Sprintf("%012d", 900000000000+a)
		env.Targets = append(env.Targets, runbooks.Target{Cloud: runbooks.AWS, Account: acct, Regions: []string{region},
			Selector: map[string]string{"patchgate": "yes"}})
		for i := range perAccount {
			if add == nil {
				break
			}
			in := awstest.Instance{ID: fmt.Sprintf("i-%s%06d", acct[6:], i), Account: acct, Name: fmt.Sprintf("host-%d-%d", a, i),
				Tags: map[string]string{"patchgate": "yes"}}
			if i%10 != 0 {
				in.SSM = &awstest.Agent{PingStatus: "Online", AgentVersion: "3.3.1", PlatformName: "Amazon Linux", PlatformVersion: "2023"}
				in.Patches = &awstest.PatchState{Operation: "Install", End: time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC)}
			}
			add(in)
		}
	}
	return env, cfg
}
