package azure

import (
	"crypto/sha256"
	"time"
)

// The engine asks for a patch's status every tick, and every machine's
// poll is one or two ARM reads. ARM refills a subscription's read budget at
// about 25 a second, so a large install polled naively would be throttled.
// The provider therefore remembers finished operations (a restarted one
// polls each once more) and polls a running one at most every PollInterval.

// opKey names one machine's operation by a digest of its resume token.
type opKey [sha256.Size]byte

func keyOf(e entry) opKey { return sha256.Sum256(append([]byte(e.Host+"\x00"), e.Token...)) }

// opState is what is known of one machine's operation.
type opState struct {
	done bool
	fail string
}

// known returns a finished operation's state, or whether a running one is
// due for a poll now (marking it polled when it is).
func (p *Provider) known(k opKey) (st opState, finished, due bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.finished[k]; ok {
		return st, true, false
	}
	now := p.now()
	if last, ok := p.polled[k]; ok && now.Sub(last) < p.cfg.PollInterval {
		return opState{}, false, false
	}
	p.polled[k] = now
	return opState{}, false, true
}

// remember records a finished operation.
func (p *Provider) remember(k opKey, st opState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.polled, k)
	p.finished[k] = st
}

func (p *Provider) now() time.Time {
	if p.cfg.Now != nil {
		return p.cfg.Now()
	}
	return time.Now()
}
