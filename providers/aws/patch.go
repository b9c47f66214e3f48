package aws

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/patchgate/patchgate/runbooks"
)

// StartPatch checks the patch baseline every instance in scope will use
// (by its patch group) against the one declared for the environment, then
// sends AWS-RunPatchBaseline (Install) in chunks of ≤ 50
// instances. A baseline that is missing or differs from the declared one
// fails with runbooks.CodeBlocked before anything is sent anywhere.
func (p *Provider) StartPatch(ctx context.Context, req runbooks.OpRequest) (string, error) {
	g, gctx := errgroup.WithContext(ctx)
	for _, s := range scopes(req.Hosts) {
		g.Go(func() error {
			c := p.clientsFor(s.Account, s.Region)
			ids := make([]string, len(s.Hosts))
			for i, h := range s.Hosts {
				ids[i] = h.ID
			}
			groups, err := p.patchGroups(gctx, c, nil, ids)
			if err != nil {
				return err
			}
			_, err = p.checkBaseline(gctx, c, req.Env, groups)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	h, _, err := p.sendOp(ctx, req, "install", true)
	if err != nil {
		return "", err
	}
	return h.encode(), nil
}

// FindPatch returns the commands an earlier attempt with this tag sent,
// when they cover every chunk; a partial send is completed by StartPatch.
func (p *Provider) FindPatch(ctx context.Context, req runbooks.OpRequest) (string, bool, error) {
	h, complete, err := p.sendOp(ctx, req, "install", false)
	if err != nil || !complete || len(h.Parts) == 0 {
		return "", false, err
	}
	return h.encode(), true, nil
}

// PatchStatus summarises the invocations of a patch handle's commands.
func (p *Provider) PatchStatus(ctx context.Context, hs string) (runbooks.OpStatus, error) {
	h, err := decodeHandle(hs, "patch")
	if err != nil {
		return runbooks.OpStatus{}, err
	}
	return p.commandStatus(ctx, h)
}
