package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/patchgate/patchgate/runbooks"
)

// ssmMaxTargets is the most instance IDs one SendCommand takes.
const ssmMaxTargets = 50

// SSM commands carry no tags, so the comment (≤ 100 characters) names the
// operation, the chunk and the request's tag; a resumed step lists the
// account's recent commands and matches comments instead of re-sending.
func comment(op, tag string, i, n int) string {
	c := fmt.Sprintf("patchgate %s %d/%d %s", op, i+1, n, tag)
	if len(c) <= 100 {
		return c
	}
	sum := sha256.Sum256([]byte(tag))
	return fmt.Sprintf("patchgate %s %d/%d sha256:%s", op, i+1, n, hex.EncodeToString(sum[:16]))
}

// chunks splits a scope's instance IDs, sorted so that a retry cuts the
// same chunks, into SendCommand-sized lists.
func chunks(hosts []runbooks.Host) [][]string {
	ids := make([]string, len(hosts))
	for i, h := range hosts {
		ids[i] = h.ID
	}
	sort.Strings(ids)
	return slices.Collect(slices.Chunk(ids, ssmMaxTargets))
}

// sendOp sends op ("install" or "scan") to every AWS host of req that has
// no command for it yet, and returns the handle of all its commands.
// complete reports that every chunk already existed.
func (p *Provider) sendOp(ctx context.Context, req runbooks.OpRequest, op string, send bool) (handle, bool, error) {
	h := handle{Kind: "patch", Tag: req.Tag + "#" + op, Started: p.cfg.Clock.Now().UTC(), Hosts: labels(awsHosts(req.Hosts))}
	complete := true
	for _, s := range scopes(req.Hosts) {
		c := p.clientsFor(s.Account, s.Region)
		have, err := p.sentCommands(ctx, c, "patchgate "+op+" ")
		if err != nil {
			return handle{}, false, err
		}
		part := opPart{Account: s.Account, Region: s.Region, Commands: map[string][]string{}}
		cs := chunks(s.Hosts)
		for i, ids := range cs {
			cm := comment(op, req.Tag, i, len(cs))
			if cmd, ok := have[cm]; ok {
				// The chunk is known from the comment; the command's own
				// InstanceIds is not trusted (moto lists every instance of
				// the account there).
				part.Commands[aws.ToString(cmd.CommandId)] = ids
				continue
			}
			complete = false
			if !send {
				continue
			}
			id, err := p.sendCommand(ctx, c, op, cm, ids)
			if err != nil {
				return handle{}, false, err
			}
			part.Commands[id] = ids
		}
		h.Parts = append(h.Parts, part)
	}
	return h, complete, nil
}

// sentCommands maps comment → command for this document's commands whose
// comment starts with prefix.
func (p *Provider) sentCommands(ctx context.Context, c *regional, prefix string) (map[string]ssmtypes.Command, error) {
	return p.listCommands(ctx, c, p.cfg.Patch.Document, prefix)
}

// listCommands maps comment → command for doc's commands whose comment
// starts with prefix.
func (p *Provider) listCommands(ctx context.Context, c *regional, doc, prefix string) (map[string]ssmtypes.Command, error) {
	out := map[string]ssmtypes.Command{}
	pages := ssm.NewListCommandsPaginator(c.ssm, &ssm.ListCommandsInput{
		Filters: []ssmtypes.CommandFilter{{Key: ssmtypes.CommandFilterKeyDocumentName, Value: aws.String(doc)}},
	})
	guard := runbooks.PageGuard{Loop: fmt.Sprintf("ssm ListCommands of %s in %s/%s", doc, c.account, c.region), Max: p.maxPages}
	for pages.HasMorePages() {
		var page *ssm.ListCommandsOutput
		err := p.call(ctx, c.account, func() (err error) { page, err = pages.NextPage(ctx); return err })
		if err != nil {
			return nil, fmt.Errorf("ssm ListCommands in %s/%s: %w", c.account, c.region, err)
		}
		if err := guard.Next(aws.ToString(page.NextToken)); err != nil {
			return nil, err
		}
		for _, cmd := range page.Commands {
			if cm := aws.ToString(cmd.Comment); strings.HasPrefix(cm, prefix) {
				out[cm] = cmd
			}
		}
	}
	return out, nil
}

func (p *Provider) sendCommand(ctx context.Context, c *regional, op, cm string, ids []string) (string, error) {
	params := map[string][]string{"Operation": {"Install"}, "RebootOption": {p.cfg.Patch.RebootOption}}
	if op == "scan" {
		params = map[string][]string{"Operation": {"Scan"}, "RebootOption": {"NoReboot"}}
	}
	var out *ssm.SendCommandOutput
	err := p.call(ctx, c.account, func() (err error) {
		out, err = c.ssm.SendCommand(ctx, &ssm.SendCommandInput{
			DocumentName: aws.String(p.cfg.Patch.Document), InstanceIds: ids, Parameters: params, Comment: aws.String(cm),
			MaxConcurrency: aws.String(p.cfg.Patch.MaxConcurrency), MaxErrors: aws.String(p.cfg.Patch.MaxErrors),
		})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("ssm SendCommand %s to %d instances in %s/%s: %w", p.cfg.Patch.Document, len(ids), c.account, c.region, err)
	}
	id := aws.ToString(out.Command.CommandId)
	p.cfg.Log.Info("patch command sent", "op", op, "command", id, "instances", len(ids), "account", c.account, "region", c.region)
	return id, nil
}
